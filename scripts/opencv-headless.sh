#!/bin/sh
# rapidocr-onnxruntime (the `precheck` extra) depends on opencv-python, whose cv2 links the
# system's libGL: a slim server or container does not have it and `import cv2` fails there.
# opencv-python-headless is the same cv2 without the GUI parts, hence without libGL. pip
# cannot leave a dependency out, so after `pip install ".[precheck]"` (which brings both)
# this removes opencv-python and reinstalls the headless files that its removal took along
# (the two wheels ship the same cv2/ folder). Usage: scripts/opencv-headless.sh PYTHON
set -eu
PY="${1:-python}"
if "$PY" -m pip show --quiet opencv-python >/dev/null 2>&1; then
  "$PY" -m pip uninstall --quiet --yes opencv-python
fi
VERSION="$("$PY" -c 'import importlib.metadata as m; print(m.version("opencv-python-headless"))')"
"$PY" -m pip install --quiet --force-reinstall --no-deps "opencv-python-headless==$VERSION"
"$PY" -c 'import cv2; print("cv2", cv2.__version__, "(headless)")'
