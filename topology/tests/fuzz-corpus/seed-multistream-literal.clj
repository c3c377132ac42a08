(ns birding (:use [streamparse.specs]) (:gen-class))
(defn birding [options]
  [{"search-bolt" (python-spout-spec options "a.B" ["url"])}
   {"elasticsearch-index-bolt" (python-bolt-spec
  options
  [{"lookup-bolt" "index" ["url" "timestamp" "search_result"]}
  "birding.bolt.ElasticsearchIndexBolt"
  []
  :p 1
)}])
