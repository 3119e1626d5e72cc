"""The ASK SDK's DefaultSerializer, same results, with its per-call lookups done once.

On every request the SDK's serializer re-resolves each field's type name (an
``__import__`` per field), rebuilds each class's attribute map and parses the timestamp
with dateutil: together the largest single cost of a turn, larger than the skill's own
work. Here each type gets a reader (and each model class a writer) built on first use
and kept; Alexa's timestamp form is read with ``datetime.fromisoformat``, anything else
still goes to dateutil as the SDK does. tests/core/test_serializer.py holds the two
serializers to the same output, and the same failures, on fixtures and fuzzed envelopes.
"""
from __future__ import annotations

import decimal
import json
import re
import threading
from datetime import date, datetime
from enum import Enum
from typing import Any, Callable

from ask_sdk_core.exceptions import SerializationException
from ask_sdk_core.serialize import DefaultSerializer

Reader = Callable[[Any], Any]

_LIST = re.compile(r"list\[(.*)\]")          # the SDK's patterns, matched the same way
_DICT = re.compile(r"dict\(([^,]*), (.*)\)")
# Alexa's form ("2019-03-21T08:43:00Z", optionally with fractions or an offset), where
# fromisoformat and dateutil agree exactly; other text takes dateutil's slower path.
_ALEXA_TIMESTAMP = re.compile(
    r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{3}|\.\d{6})?(?:Z|[+-]\d{2}:\d{2})?")


def _identity(payload):
    return payload


def _primitive(cast) -> Reader:
    def read(payload):
        try:
            return cast(payload)
        except UnicodeEncodeError:
            return str(payload)
        except TypeError:
            return payload
        except ValueError:
            raise SerializationException(f"Failed to parse a value into '{cast.__name__}' object")
    return read


def _read_datetime(payload):
    if isinstance(payload, str) and _ALEXA_TIMESTAMP.fullmatch(payload):
        return datetime.fromisoformat(payload)
    from dateutil.parser import parse
    try:
        return parse(payload)
    except ValueError:
        raise SerializationException("Failed to parse a value into 'datetime' object")


def _read_date(payload):
    parsed = _read_datetime(payload)
    return parsed.date() if isinstance(parsed, datetime) else parsed


class FastSerializer(DefaultSerializer):
    """Drop-in for ``skill.serializer`` (set by skill.builder)."""

    def __init__(self):
        self._readers: dict[Any, Reader] = {}
        self._writers: dict[type, tuple[tuple[str, str], ...]] = {}
        self._classes: dict[str, type] = {}
        self._lock = threading.Lock()

    # -- reading ---------------------------------------------------------------------

    def deserialize(self, payload, obj_type):
        if payload is None:
            return None
        try:
            data = json.loads(payload)
        except Exception:
            # The SDK quotes the body here; a request's text never goes into a message.
            raise SerializationException("Couldn't parse response body") from None
        return self.from_json(data, obj_type)

    def from_json(self, data, obj_type):
        """``deserialize`` for JSON already parsed (the app parses each body once)."""
        try:
            return self._reader(obj_type)(data)
        except SerializationException:
            raise
        except Exception as e:
            raise SerializationException(str(e)) from e

    def _reader(self, obj_type) -> Reader:
        reader = self._readers.get(obj_type)
        if reader is None:
            reader = self._build_reader(obj_type)
            with self._lock:
                self._readers[obj_type] = reader
        return reader

    def _lazy(self, obj_type) -> Reader:
        """A reader resolved on first call, so recursive model types build lazily."""
        resolved: list[Reader] = []

        def read(payload):
            if not resolved:
                resolved.append(self._reader(obj_type))
            return resolved[0](payload)
        return read

    def _build_reader(self, obj_type) -> Reader:
        if isinstance(obj_type, str):
            if obj_type.startswith("list["):
                return self._list_reader(obj_type)
            if obj_type.startswith("dict("):
                m = _DICT.match(obj_type)
                if m is None:
                    return _none_or(lambda payload: {})
                item = self._lazy(m.group(2))
                return _none_or(lambda payload: {k: item(v) for k, v in payload.items()})
            if obj_type in self.NATIVE_TYPES_MAPPING:
                return self._reader(self.NATIVE_TYPES_MAPPING[obj_type])
            return self._reader(self._load_class(obj_type))
        if obj_type in self.PRIMITIVE_TYPES:
            return _none_or(_primitive(obj_type))
        if obj_type is object:
            return _identity
        if obj_type is date:
            return _none_or(_read_date)
        if obj_type is datetime:
            return _none_or(_read_datetime)
        return _none_or(self._model_reader(obj_type))

    def _list_reader(self, obj_type: str) -> Reader:
        m = _LIST.match(obj_type)
        if m is None:
            return _none_or(lambda payload: [])
        inner = m.group(1)
        if "," in inner:
            items = [self._lazy(t.strip()) for t in inner.split(",")]
            return _none_or(lambda payload: [r(v) for v, r in zip(payload, items)])
        item = self._lazy(inner.strip())
        return _none_or(lambda payload: [item(v) for v in payload])

    def _load_class(self, class_name: str):
        cls = self._classes.get(class_name)
        if cls is None:
            cls = self._classes[class_name] = self._import_class(class_name)
        return cls

    def _import_class(self, class_name: str):
        try:
            module_name, _, name = class_name.rpartition(".")
            if not module_name:
                import ask_sdk_core.serialize as module
            else:
                module = __import__(module_name, fromlist=[name])
            return getattr(module, name)
        except Exception as e:
            raise SerializationException(f"Unable to resolve class {class_name} from installed modules: {e}")

    def _model_reader(self, cls) -> Reader:
        if isinstance(cls, type) and issubclass(cls, Enum):
            return cls
        if not hasattr(cls, "deserialized_types"):
            return _identity
        if hasattr(cls, "get_real_child_model"):
            def read_polymorphic(payload):
                name = cls.get_real_child_model(payload)
                if not name:
                    raise SerializationException(
                        f"Couldn't resolve object by discriminator type for {cls} class")
                return self._concrete_reader(self._load_class(name))(payload)
            return read_polymorphic
        return self._concrete_reader(cls)

    def _concrete_reader(self, cls) -> Reader:
        key = ("model", cls)
        reader = self._readers.get(key)
        if reader is not None:
            return reader
        types = cls.deserialized_types
        attribute_map = {**{k: k for k in types}, **getattr(cls, "attribute_map", {})}
        fields = tuple((attr, key_, self._lazy(types[attr]))
                       for attr, key_ in attribute_map.items())
        known_keys = list(attribute_map.values())

        def read(payload):
            model = cls()
            for attr, key_, item in fields:
                if key_ in payload:
                    setattr(model, attr, item(payload[key_]))
            for extra in [p for p in payload if p not in known_keys]:
                setattr(model, extra, payload[extra])
            return model

        with self._lock:
            self._readers[key] = read
        return read

    # -- writing ---------------------------------------------------------------------

    def serialize(self, obj):
        if obj is None:
            return None
        kind = type(obj)
        if kind is str or kind is int or kind is bool or kind is float:
            return obj
        if kind is dict:
            return {k: self.serialize(v) for k, v in obj.items()}
        if kind is list:
            return [self.serialize(v) for v in obj]
        plan = self._writers.get(kind)
        if plan is not None:
            return {key: self.serialize(value) for attr, key in plan
                    if (value := getattr(obj, attr)) is not None}
        if isinstance(obj, self.PRIMITIVE_TYPES):
            return obj
        if isinstance(obj, list):
            return [self.serialize(v) for v in obj]
        if isinstance(obj, tuple):
            return tuple(self.serialize(v) for v in obj)
        if isinstance(obj, (datetime, date)):
            return obj.isoformat()
        if isinstance(obj, Enum):
            return obj.value
        if isinstance(obj, decimal.Decimal):
            return int(obj) if obj % 1 == 0 else float(obj)
        if isinstance(obj, dict):
            return {k: self.serialize(v) for k, v in obj.items()}
        if "deserialized_types" in vars(obj) or "attribute_map" in vars(obj):
            return super().serialize(obj)  # per-instance maps: not cacheable per class
        attribute_map = getattr(kind, "attribute_map", {})
        plan = tuple((attr, attribute_map.get(attr, attr)) for attr in kind.deserialized_types)
        with self._lock:
            self._writers[kind] = plan
        return self.serialize(obj)


def _none_or(reader: Reader) -> Reader:
    def read(payload):
        return None if payload is None else reader(payload)
    return read
