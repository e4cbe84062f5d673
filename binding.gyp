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
      "libraries": ["<!@(pkg-config --libs libcurl libcjson libcrypto)", "-lpthread", "-lm"],
      "conditions": [
        ["iamcore_werror==1", { "cflags": ["-Werror"] }],
        ["iamcore_sanitize!=''", {
          "cflags": ["-O1", "-g", "-fno-omit-frame-pointer", "-fsanitize=<(iamcore_sanitize)",
                     "-fno-sanitize-recover=all"],
          "ldflags": ["-fsanitize=<(iamcore_sanitize)"]
        }]
      ]
    }
  ]
}
