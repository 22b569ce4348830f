#!/usr/bin/env python3
"""Top costs by component from a dotnet-trace sampled thread-time profile (speedscope format, as profile.sh writes it).

Only time a thread spent running managed code counts (the samples whose leaf is CPU_TIME); time in native code
(UNMANAGED_CODE_TIME: blocked, in the kernel or in the runtime's native parts such as the GC) is reported apart,
because a sampled thread-time trace cannot tell waiting from working there.

Each on-CPU sample is charged to one component, the *owner*: the frame nearest the leaf that belongs to a named
component (a Dictionary lookup inside our grain is ours; inside Orleans' serializer, Orleans'). Inclusive shares
count a sample once for every component anywhere on its stack, so they add up to more than 100 %.

usage: loadtests/profile-report.py silo.speedscope.json [top]
"""
import json
import sys
from collections import Counter

# (component, test on "Assembly!Namespace.Type.Method(...)"); the first match wins, so specific rules come first.
RULES = [
    ("Orleans serialization", lambda a, n: a.startswith("Orleans.Serialization") or n.startswith("Orleans.Serialization")),
    ("grain storage", lambda a, n: a.startswith("Orleans.Persistence") or n.startswith("Orleans.Storage") or "MemoryStorage" in n),
    ("PostgreSQL client (Npgsql)", lambda a, n: a.startswith("Npgsql")),
    ("Orleans messaging and networking", lambda a, n: n.startswith(("Orleans.Runtime.Messaging", "Orleans.Networking", "Orleans.Messaging"))),
    ("Orleans runtime (calls, scheduling, activations, timers)", lambda a, n: a.startswith("Orleans")),
    ("our metrics", lambda a, n: n.startswith("Switchboard.Metrics")),
    ("our limits and auth", lambda a, n: n.startswith(("Switchboard.Limits", "Switchboard.Auth"))),
    ("our hubs and API (edge)", lambda a, n: a.startswith("Switchboard.Silo")),
    ("our grains", lambda a, n: a.startswith("Switchboard")),
    ("SignalR", lambda a, n: n.startswith("Microsoft.AspNetCore.SignalR")),
    ("Kestrel, HTTP and sockets", lambda a, n: n.startswith(("Microsoft.AspNetCore.Server", "Microsoft.AspNetCore.Http", "System.Net", "System.IO.Pipelines", "Microsoft.AspNetCore.WebSockets"))),
    ("ASP.NET Core other (routing, auth, middleware)", lambda a, n: n.startswith("Microsoft.AspNetCore")),
    ("JWT and crypto", lambda a, n: n.startswith(("Microsoft.IdentityModel", "System.IdentityModel", "System.Security.Cryptography"))),
    ("JSON", lambda a, n: n.startswith("System.Text.Json")),
    ("logging", lambda a, n: n.startswith("Microsoft.Extensions.Logging")),
    ("runtime metrics and diagnostics", lambda a, n: n.startswith(("System.Diagnostics.Metrics", "System.Diagnostics.Tracing", "System.Diagnostics.DiagnosticSource"))),
    ("other libraries", lambda a, n: not a.startswith(("System.", "Microsoft.Extensions", "Microsoft.Win32")) and a not in ("System", "mscorlib")),
]
BCL = "runtime and base library (threads, tasks, collections)"
# A leaf in one of these is a thread waiting for work or for a GC to finish, spinning on the CPU: reported apart.
WAITING = ("Thread.<PollGC>", "LowLevelLifoSemaphore.Wait", "LowLevelSpinWaiter.Wait", "WorkerThread.WorkerThreadStart",
           "WaitHandle.WaitOne", "Thread.Sleep", "Monitor.Wait", "SpinWait.Spin")


def classify(name):
    assembly, bang, rest = name.partition("!")
    if not bang or assembly == "?":
        # The trace's own frames (process, threads, activities) and unresolved ones.
        return None
    for component, test in RULES:
        if test(assembly, rest):
            return component
    return None


def main():
    path = sys.argv[1]
    top = int(sys.argv[2]) if len(sys.argv) > 2 else 12
    with open(path, encoding="utf-8") as f:
        trace = json.load(f)
    frames = [f["name"] for f in trace["shared"]["frames"]]
    component_of = [classify(n) for n in frames]
    cpu_frame = {i for i, n in enumerate(frames) if n == "CPU_TIME"}
    native_frame = {i for i, n in enumerate(frames) if n == "UNMANAGED_CODE_TIME"}

    owner = Counter()
    inclusive = Counter()
    methods = Counter()
    on_cpu = native = waiting = 0.0
    waiting_frame = {i for i, n in enumerate(frames) if any(w in n for w in WAITING)}
    for profile in trace["profiles"]:
        stack = []
        last = None
        for event in profile["events"]:
            at = event["at"]
            if last is not None and stack and at > last:
                span = at - last
                leaf = stack[-1]
                if leaf in cpu_frame and len(stack) > 1 and stack[-2] in waiting_frame:
                    waiting += span
                elif leaf in cpu_frame:
                    on_cpu += span
                    own = next((component_of[f] for f in reversed(stack) if component_of[f]), None) or BCL
                    owner[own] += span
                    for c in {component_of[f] or BCL for f in stack if f not in cpu_frame}:
                        inclusive[c] += span
                    method = next((frames[f] for f in reversed(stack) if f not in cpu_frame), "?")
                    methods[method] += span
                elif leaf in native_frame:
                    native += span
            if event["type"] == "O":
                stack.append(event["frame"])
            elif stack:
                # Frames close innermost first; tolerate a close of a frame deeper in the stack.
                frame = event["frame"]
                while stack and stack.pop() != frame:
                    pass
            last = at

    if on_cpu == 0:
        print("No on-CPU samples in the trace.")
        return
    print(f"Managed code at work on CPU: {on_cpu / 1000:.1f} thread-seconds sampled (the shares below); managed threads spinning while they wait "
          f"for work or for a GC: {waiting / 1000:.1f}; native code (waiting, kernel, GC): {native / 1000:.1f}.")
    print()
    print("| component | owner share of managed CPU | inclusive share |")
    print("| --- | ---: | ---: |")
    for component, span in owner.most_common():
        print(f"| {component} | {100 * span / on_cpu:.1f} % | {100 * inclusive[component] / on_cpu:.1f} % |")
    print()
    print(f"Top {top} methods by on-CPU time (self):")
    print()
    for method, span in methods.most_common(top):
        print(f"- {100 * span / on_cpu:.1f} % {method[:160]}")


if __name__ == "__main__":
    main()
