"""Evidence bundles: one ZIP that proves a signification (or a consent declaration's history) offline.

- `format`: the layout `signif-preuves/1`, the story (`Recit`) and the log leaf encoding;
- `bundle`: `BundleBuilder`, which the coffre and the consent registry feed with pieces;
- `journal`: `extract_journal`, the leaves, proofs and checkpoints from a `TransparencyLog`;
- `verify`: `verify_bundle`, the offline verifier behind `signif verify` (no network, no database).
"""
