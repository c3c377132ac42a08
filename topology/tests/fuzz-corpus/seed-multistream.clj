;; Seed section 2.4.2, with the input maps written the way Storm's Clojure DSL reads them
;; ({["component" "stream"] grouping}); the seed's `[{"lookup-bolt" "index" [...]}` is not
;; valid Clojure.
(ns birding
  (:use [streamparse.specs])
  (:gen-class))

(defn birding [options]
  [
    {"search-bolt" (python-spout-spec options "birding.spout.TwitterSearchSpout" ["url" "timestamp"])}
    {"lookup-bolt" (python-bolt-spec
       options
       {"search-bolt" :shuffle}
       "birding.bolt.TwitterLookupBolt"
       {"index" ["url" "timestamp" "search_result"]
        "topic" ["url" "timestamp" "search_result"]}
       :p 2
     )
     "elasticsearch-index-bolt" (python-bolt-spec
       options
       {["lookup-bolt" "index"] ["url" "timestamp" "search_result"]}
       "birding.bolt.ElasticsearchIndexBolt"
       []
       :p 1
     )
     "result-topic-bolt" (python-bolt-spec
       options
       {["lookup-bolt" "index"] ["url" "timestamp" "search_result"]
        ["lookup-bolt" "topic"] ["url" "timestamp" "search_result"]}
       "birding.bolt.ResultTopicBolt"
       []
       :p 1
     )}
  ]
)
