/// Tells GnuTLS not to initialise itself when it is loaded: GnuTLS's `GNUTLS_SKIP_GLOBAL_INIT`, written
/// in Swift.
///
/// ztguardd never uses GnuTLS. It is mapped only because Debian's libcurl links LDAP and RTMP libraries
/// that do, and its load-time initialisation (the system's priority file, PKCS #11 modules through
/// p11-kit) cost every ztguardd process 0.6 MB of RSS, the daemon between runs included. Our TLS is
/// libcurl's OpenSSL. A library that does use GnuTLS, LDAP's or a libcurl built on GnuTLS, calls
/// `gnutls_global_init()` itself first, as GnuTLS requires when its implicit initialisation is skipped.
///
/// GnuTLS's constructor calls `_gnutls_global_init_skip()`, a weak function of its own that returns 0,
/// through the PLT; the executable's definition takes its place because the link exports it
/// (`--export-dynamic-symbol` in Package.swift). Before this, the units set `GNUTLS_NO_IMPLICIT_INIT=1`,
/// which a run from a shell did not have.
@_cdecl("_gnutls_global_init_skip")
@used
public func gnutlsGlobalInitSkip() -> Int32 { 1 }
