"""Test helper for the storm/ harness fixtures: records what a component sees, from outside the
JVM. Writes to the directory named by $SPARSE_STORM_OUT (inherited from the JVM in local mode)."""
import json
import os
import sys
import time

import storm

PID_DIR = None
_orig_sendpid = storm.sendpid


def _sendpid(heartbeatdir):
    global PID_DIR
    PID_DIR = heartbeatdir
    _orig_sendpid(heartbeatdir)


storm.sendpid = _sendpid  # storm.initComponent looks the name up at call time

_out = None
_component = None
_orig_sync = storm.sync


def _sync():
    # In a bolt, storm.py calls sync() only to answer a heartbeat tuple.
    if storm.MODE is storm.Bolt:
        deaf = os.environ.get("SPARSE_PROBE_DEAF") == _component
        record("heartbeat", answered=not deaf)
        if deaf:
            return  # negative control: never answer, Storm should kill us after the timeout
    _orig_sync()


storm.sync = _sync  # storm.Bolt.run looks the name up at call time


def out(component, task):
    global _out
    d = os.environ.get("SPARSE_STORM_OUT")
    if d and _out is None:
        _out = open(os.path.join(d, "%s_%s_%d.txt" % (component, task, os.getpid())), "a", buffering=1)
    return _out


def record(kind, **fields):
    if _out is not None:
        fields["t"] = round(time.time(), 3)
        _out.write(kind + " " + json.dumps(fields, sort_keys=True) + "\n")


def _listing(top):
    """path -> octal mode of everything under top (shows whether exec bits survived)."""
    modes = {}
    for root, dirs, files in os.walk(top):
        for name in dirs + files:
            path = os.path.relpath(os.path.join(root, name), top)
            modes[path] = oct(os.stat(os.path.join(root, name)).st_mode & 0o777)
    return modes


def hello(conf, context):
    global _component
    comp = context["componentid"]
    task = context["taskid"]
    _component = comp
    out(comp, task)
    record("hello", component=comp, task=task, pid=os.getpid(), cwd=os.getcwd(),
           pid_dir=PID_DIR, pid_dir_listing=sorted(os.listdir(PID_DIR)) if PID_DIR else None,
           cwd_listing=_listing("."), argv=sys.argv,
           subprocess_timeout=conf.get("topology.subprocess.timeout.secs"),
           topology_name=conf.get("topology.name"), storm_id=conf.get("storm.id"),
           context_keys=sorted(context.keys()))
    d = os.environ.get("SPARSE_STORM_OUT")
    if d:
        with open(os.path.join(d, "handshake_%s_%s.json" % (comp, task)), "w") as f:
            json.dump({"pidDir": PID_DIR, "conf": conf, "context": context}, f, indent=1, sort_keys=True)
