"""The thinnest flask-ask-sdk skill: one LaunchRequest handler that says "hello".

Every ratio in the benchmarks is against this, served the same way as our skill
(in-process Flask test client, or gunicorn with the same config). No persistence, and
no verification (like our skill in developer mode) unless ``verify``: then flask-ask-sdk's
default verifiers are on (signature with certvalidator, timestamp), as its docs ship it.

    gunicorn -c benchmarks/gunicorn_bench.conf.py 'benchmarks.baseline_skill:create_app()'
"""
from ask_sdk_core.dispatch_components import AbstractRequestHandler
from ask_sdk_core.skill_builder import SkillBuilder
from ask_sdk_core.utils import is_request_type
from flask import Flask

from benchmarks import oscrypto_fix

# flask-ask-sdk's default verifiers import oscrypto, which cannot read this OpenSSL's version
# without the fix, even when verification is off.
oscrypto_fix.install()
from flask_ask_sdk.skill_adapter import SkillAdapter  # noqa: E402


class HelloLaunch(AbstractRequestHandler):
    def can_handle(self, handler_input):
        return is_request_type("LaunchRequest")(handler_input)

    def handle(self, handler_input):
        return handler_input.response_builder.speak("hello").response


def create_app(verify: bool = False) -> Flask:
    app = Flask(__name__)
    app.config["ASK_SDK_VERIFY_SIGNATURE"] = verify
    app.config["ASK_SDK_VERIFY_TIMESTAMP"] = verify
    sb = SkillBuilder()
    sb.add_request_handler(HelloLaunch())
    adapter = SkillAdapter(skill=sb.create(), skill_id="baseline", app=app)
    adapter.register(app=app, route="/alexa", endpoint="alexa")
    app.extensions["baseline_adapter"] = adapter
    return app

