"""docs/integration.md's worked example must stay true."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from accounts.entry import EntryTokenError, sign_entry_token, verify_entry_token

DOC = Path(__file__).resolve().parents[2] / "docs" / "integration.md"


def _block_after(text: str, marker: str) -> str:
    start = text.index(marker)
    return re.search(r"```\n(.*?)```", text[start:], re.S).group(1).strip()


def test_integration_doc_example_reproduces():
    text = DOC.read_text(encoding="utf-8")
    secret = _block_after(text, "Secret (")
    raw = _block_after(text, "Payload, serialised").encode("utf-8")
    hex_bytes = "".join(_block_after(text, "The same bytes in hex").split())
    body = _block_after(text, "`b64u(P)` (")
    mac_hex = _block_after(text, "HMAC-SHA256(secret, that text), hex")
    token = _block_after(text, "The token:")

    assert raw.hex() == hex_bytes
    assert f"exactly these {len(raw)} bytes" in text
    assert f"`b64u(P)` ({len(body)} characters)" in text
    import json

    payload = json.loads(raw)
    assert sign_entry_token(payload, secret) == token
    assert token.startswith(body + ".")
    import hashlib
    import hmac

    assert hmac.new(secret.encode(), body.encode(), hashlib.sha256).hexdigest() == mac_hex
    assert verify_entry_token(token, secret=secret, now=payload["iat"] + 5) == payload
    with pytest.raises(EntryTokenError) as info:
        verify_entry_token(token, secret=secret)
    assert info.value.code == "expired"


def test_integration_doc_python_snippet_runs(capsys):
    text = DOC.read_text(encoding="utf-8")
    snippet = re.search(r"#### Python\n\n```python\n(.*?)```", text, re.S).group(1)
    exec(compile(snippet, "integration.md", "exec"), {})  # noqa: S102 - our own document
    assert capsys.readouterr().out.strip() == _block_after(text, "The token:")


def test_integration_doc_keeps_results_heading():
    assert "## 审核结果接口 / Results API" in DOC.read_text(encoding="utf-8")


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")
def test_integration_doc_shell_snippet_runs():
    text = DOC.read_text(encoding="utf-8")
    snippet = re.search(r"#### Shell \(OpenSSL\)\n\n```sh\n(.*?)```", text, re.S).group(1)
    result = subprocess.run(  # noqa: S603
        ["bash", "-c", snippet],  # noqa: S607
        capture_output=True,
        text=True,
        check=True,
        env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"},
    )
    assert result.stdout.strip() == _block_after(text, "The token:")
