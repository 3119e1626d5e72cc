"""Nothing the webhook imports on first use is imported for the first time in a request
thread: the handlers defer some imports for the Lambda cold start (skill.builder
DEFERRED_MODULES), and the server's app factory imports them all before it serves, since a
package's first import in two threads at once can hand one a partly initialised module."""
import ast
import json
import subprocess
import sys
from pathlib import Path

import skill

PACKAGE = Path(skill.__file__).parent
WEBHOOK_MODULES = [*PACKAGE.glob("*.py"), *PACKAGE.glob("handlers/*.py"), *PACKAGE.glob("persistence/*.py")]
# imported in a function only on paths a request in this test's app never takes
NOT_ON_THIS_APP = {
    "botocore.session",                        # DynamoDB credentials outside the environment
    "skill.persistence.dynamodb_adapter",      # the app here keeps SQLite
    "certvalidator", "certvalidator.errors",   # flask-ask-sdk's verifier module, at import if ever
}


def function_level_imports() -> set[str]:
    names = set()
    for path in WEBHOOK_MODULES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                for inner in ast.walk(node):
                    if isinstance(inner, ast.Import):
                        names |= {a.name for a in inner.names}
                    elif isinstance(inner, ast.ImportFrom) and inner.module and inner.level == 0:
                        names.add(inner.module)
                        names |= {f"{inner.module}.{a.name}" for a in inner.names}
    return names


def test_the_app_factory_imports_every_deferred_module_before_serving(tmp_path):
    wanted = sorted(n for n in function_level_imports()
                    if not any(n == x or n.startswith(x + ".") for x in NOT_ON_THIS_APP))
    code = (
        "import json, sys\n"
        "from skill.app import create_app\n"
        f"create_app({{'DEVELOPER_MODE': True, 'SKILL_DATA_DIR': {str(tmp_path)!r}}})\n"
        f"print(json.dumps([n for n in {wanted!r} if n not in sys.modules and "
        "not hasattr(sys.modules.get(n.rpartition('.')[0]), n.rpartition('.')[2])]))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                         cwd=PACKAGE.parent)
    assert out.returncode == 0, out.stderr[-2000:]
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []
