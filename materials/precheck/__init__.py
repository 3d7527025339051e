"""The machine pre-check (机器预审): hints for reviewers, never decisions.

Pure parts (no Django): `idno` (GB 11643 numbers), `names` (name matching), `quality`
(dark, bright, blurred, small, empty), `dhash` (perceptual hash and its four 16-bit parts),
`ocr` (rapidocr-onnxruntime, offline) and `reading` (one photo's whole check). The
Django side is in `services` (writes), `selectors` (reads) and materials.tasks."""
