"""The extension loads from IPython's own configuration, as users set it up once."""

from __future__ import annotations

import os
import subprocess
import sys


def test_extension_loads_from_interactive_shell_app_config(tmp_path) -> None:
    profile = tmp_path / "ipython"
    (profile / "profile_default").mkdir(parents=True)
    (profile / "profile_default" / "ipython_config.py").write_text("c.InteractiveShellApp.extensions = ['nbsecrets']\n")
    env = {**os.environ, "IPYTHONDIR": str(profile), "NBS_CONFIG_SECRET": "sk-test-config-load-42424242"}
    script = (
        "%secret create from-config TOKEN=$NBS_CONFIG_SECRET\n"
        "%secret load from-config\n"
        "print('value:', os.environ['TOKEN'])\n"
    )
    result = subprocess.run(
        [sys.executable, "-m", "IPython", "--simple-prompt", "--no-banner", "--colors=NoColor", "-c",
         "import os\nget_ipython().run_cell(" + repr(script) + ")"],
        capture_output=True, text=True, env=env, timeout=120,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "Created secret 'from-config'" in output
    assert "value: [masked:TOKEN]" in output
    assert "sk-test-config-load" not in output
