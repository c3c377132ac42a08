"""A/B check of start-up time: spawn sparse-host 60 times with the handshake transcript,
time spawn -> `{"pid"}` line, print median/p10/p90. Usage (from the repo root, after
bench/run.sh has generated the transcripts):

    python3 bench/startup_ab.py PATH/TO/sparse-host PLUGIN_DIR
"""
import subprocess, sys, time, statistics
exe, plugdir = sys.argv[1], sys.argv[2]
hs = open('target/bench/transcripts/d_startup.txt','rb').read()
ts=[]
for i in range(60):
    t0=time.perf_counter()
    p=subprocess.Popen([exe,'--component','wordcount::SentenceSplitter','--plugin-dir',plugdir],stdin=subprocess.PIPE,stdout=subprocess.PIPE,stderr=subprocess.DEVNULL)
    p.stdin.write(hs); p.stdin.flush()
    line=p.stdout.readline()
    ts.append((time.perf_counter()-t0)*1000)
    p.stdin.close(); p.wait()
print(exe, "median %.2f ms p10 %.2f p90 %.2f" % (statistics.median(ts), sorted(ts)[6], sorted(ts)[54]))
