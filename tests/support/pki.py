"""A local certificate authority shaped like Alexa's: root -> intermediate -> signing leaf.

The leaf carries subjectAltName echo-api.amazon.com and key usage digitalSignature,
as Amazon's echo-api certificate does. Variants (expired, wrong SAN, no
digitalSignature, under an untrusted root) share the leaf key, so a request signed
with ``leaf_key`` has a good signature and only the certificate property under test
is wrong.
"""
from __future__ import annotations

import base64
import datetime as dt
from dataclasses import dataclass, field

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

ALEXA_SAN = "echo-api.amazon.com"
RSA_KEY_BITS = 2048


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=RSA_KEY_BITS)


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Compassion Coach tests"),
                      x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def make_cert(common_name: str, key, issuer_cert, issuer_key, *, ca: bool,
              not_before: dt.datetime, not_after: dt.datetime,
              san: list[str] | None = None, digital_signature: bool = True) -> x509.Certificate:
    builder = (x509.CertificateBuilder()
               .subject_name(_name(common_name))
               .issuer_name(issuer_cert.subject if issuer_cert is not None else _name(common_name))
               .public_key(key.public_key())
               .serial_number(x509.random_serial_number())
               .not_valid_before(not_before)
               .not_valid_after(not_after)
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
               .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                              critical=False))
    if issuer_cert is not None:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
            critical=False)
    builder = builder.add_extension(x509.KeyUsage(
        digital_signature=digital_signature or ca, content_commitment=False,
        key_encipherment=not ca, data_encipherment=False, key_agreement=False,
        key_cert_sign=ca, crl_sign=ca, encipher_only=False, decipher_only=False), critical=True)
    if san is not None:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.DNSName(n) for n in san]), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


def pem_of(*certs: x509.Certificate) -> bytes:
    return b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certs)


@dataclass
class LocalPki:
    root: x509.Certificate
    intermediate: x509.Certificate
    leaf_key: rsa.RSAPrivateKey
    other_key: rsa.RSAPrivateKey
    #: Root of the "untrusted-root" chain; not in the trust file unless a test adds it.
    rogue_root: x509.Certificate | None = None
    root_key: rsa.RSAPrivateKey | None = None
    #: name -> PEM served at the certificate URL (leaf first, then intermediates)
    chains: dict[str, bytes] = field(default_factory=dict)

    @property
    def root_pem(self) -> bytes:
        return pem_of(self.root)


def build_test_pki(now: dt.datetime | None = None) -> LocalPki:
    now = now or dt.datetime.now(dt.timezone.utc)
    day = dt.timedelta(days=1)
    root_key, intermediate_key, leaf_key, other_key = (new_key() for _ in range(4))

    root = make_cert("Test Root CA", root_key, None, root_key, ca=True,
                     not_before=now - 30 * day, not_after=now + 3650 * day)
    intermediate = make_cert("Test Intermediate CA", intermediate_key, root, root_key, ca=True,
                             not_before=now - 30 * day, not_after=now + 1000 * day)

    def leaf(**kw):
        args = dict(ca=False, not_before=now - day, not_after=now + 300 * day, san=[ALEXA_SAN])
        args.update(kw)
        return make_cert(ALEXA_SAN, leaf_key, intermediate, intermediate_key, **args)

    # The same CA shape under a root nobody trusts.
    rogue_root = make_cert("Rogue Root CA", other_key, None, other_key, ca=True,
                           not_before=now - 30 * day, not_after=now + 3650 * day)
    rogue_intermediate = make_cert("Rogue Intermediate CA", intermediate_key, rogue_root,
                                   other_key, ca=True, not_before=now - 30 * day,
                                   not_after=now + 1000 * day)
    rogue_leaf = make_cert(ALEXA_SAN, leaf_key, rogue_intermediate, intermediate_key, ca=False,
                           not_before=now - day, not_after=now + 300 * day, san=[ALEXA_SAN])

    pki = LocalPki(root=root, intermediate=intermediate, leaf_key=leaf_key, other_key=other_key,
                   rogue_root=rogue_root, root_key=root_key)
    pki.chains = {
        "good": pem_of(leaf(), intermediate),
        "expired": pem_of(leaf(not_before=now - 30 * day, not_after=now - day), intermediate),
        "not-yet-valid": pem_of(leaf(not_before=now + day, not_after=now + 30 * day),
                                intermediate),
        "wrong-san": pem_of(leaf(san=["example.com", "echo-api.amazon.com.example.com"]),
                            intermediate),
        "no-san": pem_of(leaf(san=None), intermediate),
        "no-digital-signature": pem_of(leaf(digital_signature=False), intermediate),
        "untrusted-root": pem_of(rogue_leaf, rogue_intermediate),
        "leaf-only": pem_of(leaf()),
    }
    return pki


def tls_server_files(pki: LocalPki, directory) -> tuple[str, str]:
    """(cert chain file, key file) for a TLS server on 127.0.0.1, issued by the local root
    (re-using its intermediate key would need it; a fresh key under the root is simpler)."""
    import ipaddress
    from pathlib import Path
    now = dt.datetime.now(dt.timezone.utc)
    key = new_key()
    root_key = pki.root_key
    cert = (x509.CertificateBuilder()
            .subject_name(_name("127.0.0.1"))
            .issuer_name(pki.root.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]),
                           critical=False)
            .sign(root_key, hashes.SHA256()))
    directory = Path(directory)
    cert_file, key_file = directory / "tls-cert.pem", directory / "tls-key.pem"
    cert_file.write_bytes(pem_of(cert))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return str(cert_file), str(key_file)


def sign_body(body: bytes, key: rsa.RSAPrivateKey) -> str:
    """Signature-256: base64 of RSASSA-PKCS1-v1_5 / SHA-256 over the raw body."""
    return base64.b64encode(key.sign(body, padding.PKCS1v15(), hashes.SHA256())).decode("ascii")


def alexa_headers(body: bytes, key: rsa.RSAPrivateKey, cert_url: str) -> dict[str, str]:
    """The two headers Alexa sends with every request."""
    return {"Signature-256": sign_body(body, key), "SignatureCertChainUrl": cert_url}
