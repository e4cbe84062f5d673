/* Shared-cache entry files (iam_shared_entry_decode): another process of the
 * same user wrote them, or something else did. */
#define _GNU_SOURCE
#include "fuzz.h"
#include "shared_cache.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int64_t refresh = 0;
    iam_token *t = iam_shared_entry_decode((const char *)data, size, &refresh);
    if (t) {
        FUZZ_ASSERT(t->len > 0 && t->len < size);
        FUZZ_ASSERT(t->base.issued_at >= 0 && t->base.issued_at <= t->base.expires_at);
        FUZZ_ASSERT(refresh <= t->base.expires_at * 1000);
        for (size_t i = 0; i < t->len; i++)
            FUZZ_ASSERT(t->value[i] > ' ' && t->value[i] < 127);
        /* What the writer makes of it reads back the same. */
        iam_buf b = {0};
        FUZZ_ASSERT(iam_shared_entry_encode(&b, t, refresh) == 0);
        int64_t refresh2 = 0;
        iam_token *back = iam_shared_entry_decode(b.data, b.len, &refresh2);
        FUZZ_ASSERT(back && back->len == t->len && memcmp(back->value, t->value, t->len) == 0);
        FUZZ_ASSERT(back->base.issued_at == t->base.issued_at &&
                    back->base.expires_at == t->base.expires_at && refresh2 == refresh);
        iam_token_release(back);
        iam_buf_free(&b);
        iam_token_release(t);
    }
    return 0;
}
