#!/usr/bin/env python3
# validate.py SCHEMA JSONFILE: validate JSONFILE against SCHEMA (JSON Schema 2020-12;
# "$ref"s to sibling files resolve in this directory). Exit 0 valid, 1 invalid (reason
# on stderr), 2 usage. Used by tests/host/test-cl-tools.c.
import json
import os
import sys

import warnings

warnings.simplefilter("ignore", DeprecationWarning)
import jsonschema  # noqa: E402
from jsonschema.validators import Draft202012Validator  # noqa: E402

if len(sys.argv) != 3:
    print("usage: validate.py SCHEMA JSONFILE", file=sys.stderr)
    sys.exit(2)
here = os.path.dirname(os.path.abspath(sys.argv[1]))
store = {}
for name in os.listdir(here):
    if name.endswith(".json"):
        with open(os.path.join(here, name)) as f:
            store[name] = json.load(f)
with open(sys.argv[1]) as f:
    schema = json.load(f)
with open(sys.argv[2]) as f:
    try:
        doc = json.load(f)
    except json.JSONDecodeError as e:
        print("not JSON: %s" % e, file=sys.stderr)
        sys.exit(1)
resolver = jsonschema.RefResolver(base_uri="", referrer=schema, store=store)
try:
    Draft202012Validator(schema, resolver=resolver).validate(doc)
except jsonschema.ValidationError as e:
    print("invalid: %s at %s" % (e.message, list(e.absolute_path)), file=sys.stderr)
    sys.exit(1)
sys.exit(0)
