"""The hello skill as an AWS Lambda handler: the thinnest ask-sdk-core Lambda function, one
LaunchRequest handler that says "hello", no persistence. The Lambda cold-start baseline
(benchmarks/lambda_cold_start.py) runs it from the same unpacked zip as ours, so both load
the same copies of the SDK. Standard library and ask-sdk-core only: it is copied into the
zip's folder as a top-level module, ``baseline_lambda.handler``."""
from ask_sdk_core.skill_builder import SkillBuilder
from ask_sdk_core.utils import is_request_type

sb = SkillBuilder()


@sb.request_handler(can_handle_func=is_request_type("LaunchRequest"))
def hello(handler_input):
    return handler_input.response_builder.speak("hello").response


handler = sb.lambda_handler()
