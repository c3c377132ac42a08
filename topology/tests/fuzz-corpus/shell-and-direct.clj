(ns mixed)
#_(defn old [options] nil)
(defn mixed
  "A shell spout, a direct stream and per-component conf."
  [opts]
  [{"my-shell-spout" (shell-spout-spec
      ["python" "spout.py"]
      {"default" ["data"], "ctl" (direct-stream ["cmd"])}
      :p 2)}
   {"my-shell-bolt" (shell-bolt-spec
      {"my-shell-spout" :local-or-shuffle
       ["my-shell-spout" "ctl"] :direct}
      "bash" "mybolt.sh"
      ["data"]
      :p 3
      :conf {"topology.tick.tuple.freq.secs" 2, "x" [1 2.5 true nil {"k" "v"}]})
    "sink" (rust-bolt-spec opts [["my-shell-bolt" :global] [["my-shell-spout" "ctl"] :direct]] "sinks::Sink" [])
    "all" (rust-bolt-spec opts {"sink" :all "my-shell-bolt" nil} "a::B" [] )}])
