"""Open Badges 3.0: every issued certificate is also an OpenBadgeCredential (W3C Verifiable
Credentials Data Model 2.0) with a DataIntegrityProof of the eddsa-rdfc-2022 cryptosuite, signed
with the platform's Ed25519 certificate key (certificates/signing.py), revocable through a W3C
Bitstring Status List.

- contexts/ and schema/: the standard's files, stored so that nothing is fetched at run time
  (loader.py serves them to pyld and refuses every other URL);
- multibase.py: base58btc and the Multikey form of an Ed25519 public key;
- proof.py: the cryptosuite (RDF canonicalization with pyld, Ed25519 with cryptography);
- models.py, services.py: the issuer, its status lists and each certificate's credential;
- baking.py: the credential baked into a PNG badge (OB 3.0 baking, iTXt "openbadgecredential")."""
