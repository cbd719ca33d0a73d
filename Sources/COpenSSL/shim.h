#ifndef TMI_COPENSSL_SHIM_H
#define TMI_COPENSSL_SHIM_H
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <openssl/hmac.h>
#include <openssl/rsa.h>
#include <openssl/pem.h>
#include <openssl/bn.h>
#include <openssl/rand.h>
#include <openssl/err.h>
#include <openssl/core_names.h>
#include <openssl/param_build.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

/* Functions for the libssl macros Swift cannot import (WireProtocol/TLS). */
static inline long tmi_SSL_CTX_set_mode(SSL_CTX *ctx, long mode) { return SSL_CTX_set_mode(ctx, mode); }
static inline int tmi_SSL_CTX_set_min_proto_version(SSL_CTX *ctx, int version) {
    return (int)SSL_CTX_set_min_proto_version(ctx, version);
}
static inline int tmi_SSL_set_tlsext_host_name(SSL *ssl, const char *name) {
    return (int)SSL_set_tlsext_host_name(ssl, name);
}
static inline long tmi_BIO_pending(BIO *bio) { return (long)BIO_ctrl_pending(bio); }
static inline int tmi_BIO_set_mem_eof_return(BIO *bio, int value) {
    return (int)BIO_set_mem_eof_return(bio, value);
}
static inline int tmi_SSL_CTX_set_session_cache_mode(SSL_CTX *ctx, long mode) {
    return (int)SSL_CTX_set_session_cache_mode(ctx, mode);
}
static inline long tmi_SSL_MODE_RELEASE_BUFFERS(void) { return SSL_MODE_RELEASE_BUFFERS; }
static inline int tmi_TLS1_2_VERSION(void) { return TLS1_2_VERSION; }
static inline uint64_t tmi_SSL_OP_NO_RENEGOTIATION(void) { return SSL_OP_NO_RENEGOTIATION; }
static inline uint64_t tmi_SSL_OP_NO_COMPRESSION(void) { return SSL_OP_NO_COMPRESSION; }
#endif
