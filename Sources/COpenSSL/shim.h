// OpenSSL's libcrypto (Debian's libssl-dev), for RSA signing — it signs RSA-2048 about twice as fast as the
// BoringSSL inside swift-crypto on this kind of machine — and for random bytes.
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/err.h>
#include <openssl/rand.h>
