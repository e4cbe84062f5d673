{
  "variables": {
    "iamcore_werror%": "0",
    "iamcore_sanitize%": ""
  },
  "targets": [
    {
      "target_name": "iamcore",
      "sources": [
        "<!@(node -p \"require('fs').readdirSync('node/src').filter(f => f.endsWith('.c')).sort().map(f => 'node/src/' + f).join(' ')\")",
        "<!@(node -p \"require('fs').readdirSync('csrc').filter(f => f.endsWith('.c')).sort().map(f => 'csrc/' + f).join(' ')\")"
      ],
      "include_dirs": ["csrc/include"],
      "defines": ["NAPI_VERSION=8"],
      "cflags": [
        "-fvisibility=hidden",
        "-Wall",
        "-Wextra",
        "-Wshadow",
        "<!@(pkg-config --cflags libcurl libcjson libcrypto)"
      ],
      "cflags_c": ["-std=c11", "-Wstrict-prototypes"],
      "ldflags": ["-Wl,--version-script=<(module_root_dir)/node/src/exports.map"],
      # Not libcurl: the core loads it with dlopen on its first request (csrc/curl_lib.h).
      # Not libcrypto either when Node has OpenSSL: Node exports its OpenSSL 3 symbols
      # (or links the system's), and the addon's calls bind to those in any case; a
      # second libcrypto would only cost start-up time and memory.
      "libraries": ["<!@(pkg-config --libs libcjson)", "-lpthread", "-lm", "-ldl"],
      "conditions": [
        ["iamcore_werror==1", { "cflags": ["-Werror"] }],
        ["iamcore_sanitize!=''", {
          "cflags": ["-O1", "-g", "-fno-omit-frame-pointer", "-fsanitize=<(iamcore_sanitize)",
                     "-fno-sanitize-recover=all"],
          "ldflags": ["-fsanitize=<(iamcore_sanitize)"]
        }],
        ["node_use_openssl!='true'", { "libraries": ["<!@(pkg-config --libs libcrypto)"] }]
      ]
    },
    {
      # Links libcurl and holds nothing else: the npm prebuilt bundles libcurl and what
      # it needs beside it (scripts/bundle_libs.py), and the addon opens it instead of
      # the system's libcurl when it is there (csrc/libs/anchor_libcurl.c). libcrypto
      # needs no anchor here: Node has its own OpenSSL 3.
      "target_name": "iamcore_libcurl",
      "sources": ["csrc/libs/anchor_libcurl.c"],
      "cflags": ["<!@(pkg-config --cflags libcurl)"],
      "cflags_c": ["-std=c11"],
      "libraries": ["<!@(pkg-config --libs libcurl)"]
    }
  ]
}
