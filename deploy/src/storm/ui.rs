//! Storm's UI REST API and logviewer, over plain HTTP: what `sparse stats`,
//! `worker_uptime`, `slot_usage` and `tail` read.
//!
//! The UI (`storm ui`, port `ui.port`, 8080 by default) answers JSON under `/api/v1/`; the
//! paths and fields used here are the ones Storm 2.8.3's `StormApiResource` and `UIHelpers`
//! serve:
//!
//! | call | path |
//! |---|---|
//! | [`Ui::cluster_summary`] | `/api/v1/cluster/summary` |
//! | [`Ui::supervisor_summary`] | `/api/v1/supervisor/summary` |
//! | [`Ui::topology_summary`] | `/api/v1/topology/summary` |
//! | [`Ui::topology`] | `/api/v1/topology/<id>` (spouts, bolts, workers, `topologyStats`) |
//! | [`Ui::component`] | `/api/v1/topology/<id>/component/<component>` (`executorStats`, errors) |
//!
//! Each worker's `workerLogLink` names its supervisor's logviewer
//! (`http://host:logviewer.port/api/v1/log?file=<topology-id>/<port>/worker.log`); a
//! [`Logviewer`] made from that base lists a worker's files (`/api/v1/listLogs`) and pages
//! through one (`/api/v1/log?file=&start=&length=`, an HTML page whose
//! `<pre class="logContent">` holds the bytes, HTML-escaped; [`log_page_text`] takes them
//! out).
//!
//! Every failure is a [`UiError`] naming the URL tried: nothing listening, an HTTP error
//! status (with Storm's own `errorMessage` when it sent one), or a body that is not what the
//! UI sends.
//!
//! ```no_run
//! use sparse_deploy::storm::ui::Ui;
//! let ui = Ui::new("storm-ui.example.org", 8080);
//! for t in ui.topology_summary()? {
//!     println!("{} {} {}", t.name, t.status, t.uptime);
//! }
//! # Ok::<(), sparse_deploy::storm::ui::UiError>(())
//! ```

use std::time::Duration;

use serde_json::Value;

/// Storm's default `ui.port`.
pub const DEFAULT_UI_PORT: u16 = 8080;

/// How long one request may take, connection included.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Why a request to the UI or a logviewer failed. Every variant names the URL.
#[derive(Debug, thiserror::Error)]
pub enum UiError {
    /// Nothing answered (connection refused, name not resolved, timeout).
    #[error("cannot reach {url}: {reason}")]
    Unreachable {
        /// The URL tried.
        url: String,
        /// What the HTTP client said.
        reason: String,
    },
    /// The server answered with an error status.
    #[error("{url} answered HTTP {status}{}", detail_suffix(.detail))]
    Status {
        /// The URL tried.
        url: String,
        /// The HTTP status.
        status: u16,
        /// Storm's `errorMessage`/`error`, or the start of the body.
        detail: String,
    },
    /// The body is not what Storm's UI or logviewer sends.
    #[error("unexpected answer from {url}: {reason}")]
    BadAnswer {
        /// The URL tried.
        url: String,
        /// What was wrong with it.
        reason: String,
    },
    /// No running topology has this name.
    #[error("no topology named `{name}` on the Storm UI at {ui} (running: {})", running_list(.running))]
    NoSuchTopology {
        /// The name asked for.
        name: String,
        /// The UI's base URL.
        ui: String,
        /// The names of the topologies that are running.
        running: Vec<String>,
    },
}

fn detail_suffix(detail: &str) -> String {
    if detail.is_empty() {
        String::new()
    } else {
        format!(": {detail}")
    }
}

fn running_list(names: &[String]) -> String {
    if names.is_empty() {
        "none".into()
    } else {
        names.join(", ")
    }
}

/// One row of `/api/v1/topology/summary`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopologyRow {
    /// Topology id (`<name>-<n>-<timestamp>`).
    pub id: String,
    /// Name.
    pub name: String,
    /// `ACTIVE`, `INACTIVE`, `KILLED`, `REBALANCING`.
    pub status: String,
    /// Uptime as the UI prints it (`1h 2m 3s`).
    pub uptime: String,
    /// Uptime in seconds.
    pub uptime_secs: u64,
    /// Workers.
    pub workers: u64,
    /// Executors.
    pub executors: u64,
    /// Tasks.
    pub tasks: u64,
}

/// A blocking HTTP GET client shared by [`Ui`] and [`Logviewer`].
#[derive(Debug, Clone)]
struct Http {
    agent: ureq::Agent,
}

impl Http {
    fn new() -> Http {
        let agent = ureq::Agent::config_builder()
            .timeout_global(Some(REQUEST_TIMEOUT))
            .http_status_as_error(false)
            .build()
            .into();
        Http { agent }
    }

    /// GETs `url` and returns the status and the body as text.
    fn get(&self, url: &str) -> Result<(u16, String), UiError> {
        let mut resp = self
            .agent
            .get(url)
            .call()
            .map_err(|e| UiError::Unreachable {
                url: url.to_string(),
                reason: e.to_string(),
            })?;
        let status = resp.status().as_u16();
        let body = resp
            .body_mut()
            .with_config()
            .limit(64 * 1024 * 1024)
            .read_to_string()
            .map_err(|e| UiError::BadAnswer {
                url: url.to_string(),
                reason: format!("cannot read the body: {e}"),
            })?;
        Ok((status, body))
    }

    /// GETs `url`, requires 200 and returns the body.
    fn get_ok(&self, url: &str) -> Result<String, UiError> {
        let (status, body) = self.get(url)?;
        if status != 200 {
            return Err(UiError::Status {
                url: url.to_string(),
                status,
                detail: error_detail(&body),
            });
        }
        Ok(body)
    }

    /// GETs `url` and parses a JSON object.
    fn get_json(&self, url: &str) -> Result<Value, UiError> {
        let body = self.get_ok(url)?;
        let v: Value = serde_json::from_str(&body).map_err(|e| UiError::BadAnswer {
            url: url.to_string(),
            reason: format!("not JSON ({e}): {}", excerpt(&body)),
        })?;
        Ok(v)
    }
}

/// Storm's error text from an error body: the JSON `errorMessage` or `error` the UI sends,
/// else the body's first line (an HTML page's is not useful: its `<title>`/`<h2>` then).
fn error_detail(body: &str) -> String {
    if let Ok(v) = serde_json::from_str::<Value>(body) {
        for key in ["errorMessage", "error"] {
            if let Some(s) = v.get(key).and_then(Value::as_str)
                && !s.trim().is_empty()
            {
                return one_line(s);
            }
        }
    }
    for tag in ["h2", "title", "pre"] {
        if let Some(text) = between(body, &format!("<{tag}>"), &format!("</{tag}>")) {
            return one_line(&unescape_html(text));
        }
    }
    excerpt(body)
}

fn one_line(s: &str) -> String {
    let s = s.lines().next().unwrap_or("").trim();
    excerpt(s)
}

fn excerpt(s: &str) -> String {
    let s = s.trim();
    match s.char_indices().nth(200) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

fn between<'a>(s: &'a str, open: &str, close: &str) -> Option<&'a str> {
    let start = s.find(open)? + open.len();
    let end = s[start..].find(close)? + start;
    Some(&s[start..end])
}

/// Percent-encodes a path segment or query value (everything but unreserved characters).
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Storm's UI at `http://host:port`.
#[derive(Debug, Clone)]
pub struct Ui {
    base: String,
    http: Http,
}

impl Ui {
    /// The UI at `host:port`.
    pub fn new(host: &str, port: u16) -> Ui {
        let host = if host.contains(':') {
            format!("[{host}]")
        } else {
            host.to_string()
        };
        Ui {
            base: format!("http://{host}:{port}"),
            http: Http::new(),
        }
    }

    /// `http://host:port`.
    pub fn base(&self) -> &str {
        &self.base
    }

    fn api(&self, path: &str) -> Result<Value, UiError> {
        self.http.get_json(&format!("{}/api/v1/{path}", self.base))
    }

    /// `/api/v1/cluster/summary`.
    pub fn cluster_summary(&self) -> Result<Value, UiError> {
        self.api("cluster/summary")
    }

    /// `/api/v1/supervisor/summary`.
    pub fn supervisor_summary(&self) -> Result<Value, UiError> {
        self.api("supervisor/summary")
    }

    /// `/api/v1/topology/summary` as it came.
    pub fn topology_summary_json(&self) -> Result<Value, UiError> {
        self.api("topology/summary")
    }

    /// The running topologies (`/api/v1/topology/summary`), sorted by name.
    pub fn topology_summary(&self) -> Result<Vec<TopologyRow>, UiError> {
        let url = format!("{}/api/v1/topology/summary", self.base);
        let v = self.topology_summary_json()?;
        parse_topology_summary(&v).map_err(|reason| UiError::BadAnswer { url, reason })
    }

    /// `/api/v1/topology/<id>`.
    pub fn topology(&self, id: &str) -> Result<Value, UiError> {
        self.api(&format!("topology/{}", encode(id)))
    }

    /// `/api/v1/topology/<id>/component/<component>`.
    pub fn component(&self, id: &str, component: &str) -> Result<Value, UiError> {
        self.api(&format!(
            "topology/{}/component/{}",
            encode(id),
            encode(component)
        ))
    }

    /// The running topology named `name`.
    pub fn find_topology(&self, name: &str) -> Result<TopologyRow, UiError> {
        let rows = self.topology_summary()?;
        let running: Vec<String> = rows.iter().map(|r| r.name.clone()).collect();
        rows.into_iter()
            .find(|r| r.name == name)
            .ok_or_else(|| UiError::NoSuchTopology {
                name: name.to_string(),
                ui: self.base.clone(),
                running,
            })
    }
}

/// Reads `/api/v1/topology/summary`.
pub fn parse_topology_summary(v: &Value) -> Result<Vec<TopologyRow>, String> {
    let list = v
        .get("topologies")
        .and_then(Value::as_array)
        .ok_or("no `topologies` list")?;
    let mut rows = Vec::new();
    for t in list {
        let s = |k: &str| t.get(k).and_then(Value::as_str).unwrap_or("").to_string();
        let n = |k: &str| t.get(k).and_then(Value::as_u64).unwrap_or(0);
        let id = s("id");
        if id.is_empty() {
            return Err(format!("a topology without `id`: {t}"));
        }
        rows.push(TopologyRow {
            id,
            name: s("name"),
            status: s("status"),
            uptime: s("uptime"),
            uptime_secs: n("uptimeSeconds"),
            workers: n("workersTotal"),
            executors: n("executorsTotal"),
            tasks: n("tasksTotal"),
        });
    }
    rows.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(rows)
}

/// One worker of a topology, from the `workers` list of `/api/v1/topology/<id>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Worker {
    /// Supervisor host.
    pub host: String,
    /// Slot port.
    pub port: u16,
    /// Uptime as the UI prints it (empty before the first heartbeat).
    pub uptime: String,
    /// Uptime in seconds.
    pub uptime_secs: u64,
    /// Executors in this worker.
    pub executors: u64,
    /// Link to the worker's `worker.log` in its supervisor's logviewer.
    pub log_link: String,
}

impl Worker {
    /// The logviewer base URL (`scheme://host:port`) from [`Worker::log_link`].
    pub fn logviewer_base(&self) -> Option<String> {
        let rest = self.log_link.split_once("://")?;
        let host_end = rest.1.find('/').unwrap_or(rest.1.len());
        Some(format!("{}://{}", rest.0, &rest.1[..host_end]))
    }
}

/// The workers of a topology page (`/api/v1/topology/<id>`), sorted by host and port.
pub fn topology_workers(topology: &Value) -> Vec<Worker> {
    let mut out: Vec<Worker> = topology
        .get("workers")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|w| Worker {
            host: w.get("host").and_then(Value::as_str).unwrap_or("").into(),
            port: w
                .get("port")
                .and_then(Value::as_u64)
                .and_then(|p| u16::try_from(p).ok())
                .unwrap_or(0),
            uptime: w.get("uptime").and_then(Value::as_str).unwrap_or("").into(),
            uptime_secs: w.get("uptimeSeconds").and_then(Value::as_u64).unwrap_or(0),
            executors: w.get("executorsTotal").and_then(Value::as_u64).unwrap_or(0),
            log_link: w
                .get("workerLogLink")
                .and_then(Value::as_str)
                .unwrap_or("")
                .into(),
        })
        .collect();
    out.sort_by(|a, b| (&a.host, a.port).cmp(&(&b.host, b.port)));
    out
}

/// A supervisor's logviewer at `base` (`http://host:port`).
#[derive(Debug, Clone)]
pub struct Logviewer {
    base: String,
    http: Http,
}

/// What one page request of a log file gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Page {
    /// The bytes from the offset asked (possibly fewer than asked: the end of the file).
    Text(String),
    /// The offset asked is at or past the end of the file (Storm: "Cannot start past the end
    /// of the file").
    PastEnd,
}

impl Logviewer {
    /// The logviewer at `base` (`http://host:port`, no trailing slash).
    pub fn new(base: &str) -> Logviewer {
        Logviewer {
            base: base.trim_end_matches('/').to_string(),
            http: Http::new(),
        }
    }

    /// `http://host:port`.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// The files of one worker (`/api/v1/listLogs?topoId=&port=`), as
    /// `<topology-id>/<port>/<file>` paths, sorted.
    pub fn list_logs(&self, topology_id: &str, port: u16) -> Result<Vec<String>, UiError> {
        let url = format!(
            "{}/api/v1/listLogs?topoId={}&port={port}",
            self.base,
            encode(topology_id)
        );
        let v = self.http.get_json(&url)?;
        let list = v.as_array().ok_or_else(|| UiError::BadAnswer {
            url: url.clone(),
            reason: format!("not a list of files: {}", excerpt(&v.to_string())),
        })?;
        let mut files: Vec<String> = list
            .iter()
            .filter_map(|f| f.as_str().map(str::to_string))
            .collect();
        files.sort();
        Ok(files)
    }

    /// `length` bytes of `file` (as [`Logviewer::list_logs`] names it) from byte `start`;
    /// `start: None` is the last `length` bytes. Storm caps `length` at 10 MiB.
    pub fn page(&self, file: &str, start: Option<u64>, length: u64) -> Result<Page, UiError> {
        let mut url = format!("{}/api/v1/log?file={}", self.base, encode(file));
        if let Some(s) = start {
            url.push_str(&format!("&start={s}"));
        }
        url.push_str(&format!("&length={length}"));
        let (status, body) = self.http.get(&url)?;
        if status != 200 {
            let detail = error_detail(&body);
            if detail.contains("past the end of the file") {
                return Ok(Page::PastEnd);
            }
            return Err(UiError::Status {
                url,
                status,
                detail,
            });
        }
        log_page_text(&body)
            .map(Page::Text)
            .ok_or_else(|| UiError::BadAnswer {
                url,
                reason: "no <pre class=\"logContent\"> in the log page".into(),
            })
    }
}

/// The file text of a logviewer log page: the content of `<pre class="logContent">`,
/// HTML-unescaped.
///
/// ```
/// let page = r#"<html><body><a href="x">Next</a><pre class="logContent">a &lt;b&gt; &amp; &quot;c&quot;
/// </pre></body></html>"#;
/// assert_eq!(sparse_deploy::storm::ui::log_page_text(page).unwrap(), "a <b> & \"c\"\n");
/// ```
pub fn log_page_text(html: &str) -> Option<String> {
    let open = html.find("<pre class=\"logContent\"")?;
    let start = html[open..].find('>')? + open + 1;
    let end = html[start..].find("</pre>")? + start;
    Some(unescape_html(&html[start..end]))
}

/// Undoes the HTML escaping of Storm's logviewer (commons-text `escapeHtml4`: named entities
/// for `& < > "` and Latin-1 letters, numeric ones for the rest).
pub fn unescape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        let decoded = rest.find(';').filter(|&j| j <= 10).and_then(|j| {
            let name = &rest[1..j];
            let c = match name {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                "nbsp" => Some('\u{a0}'),
                _ => name
                    .strip_prefix("#x")
                    .or_else(|| name.strip_prefix("#X"))
                    .and_then(|h| u32::from_str_radix(h, 16).ok())
                    .or_else(|| name.strip_prefix('#').and_then(|d| d.parse().ok()))
                    .and_then(char::from_u32)
                    .or_else(|| latin1_entity(name)),
            };
            c.map(|c| (c, j))
        });
        match decoded {
            Some((c, j)) => {
                out.push(c);
                rest = &rest[j + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// The Latin-1 named entities of HTML 4 (`&eacute;` ...), in code point order from U+00A0.
fn latin1_entity(name: &str) -> Option<char> {
    const NAMES: [&str; 96] = [
        "nbsp", "iexcl", "cent", "pound", "curren", "yen", "brvbar", "sect", "uml", "copy", "ordf",
        "laquo", "not", "shy", "reg", "macr", "deg", "plusmn", "sup2", "sup3", "acute", "micro",
        "para", "middot", "cedil", "sup1", "ordm", "raquo", "frac14", "frac12", "frac34", "iquest",
        "Agrave", "Aacute", "Acirc", "Atilde", "Auml", "Aring", "AElig", "Ccedil", "Egrave",
        "Eacute", "Ecirc", "Euml", "Igrave", "Iacute", "Icirc", "Iuml", "ETH", "Ntilde", "Ograve",
        "Oacute", "Ocirc", "Otilde", "Ouml", "times", "Oslash", "Ugrave", "Uacute", "Ucirc",
        "Uuml", "Yacute", "THORN", "szlig", "agrave", "aacute", "acirc", "atilde", "auml", "aring",
        "aelig", "ccedil", "egrave", "eacute", "ecirc", "euml", "igrave", "iacute", "icirc",
        "iuml", "eth", "ntilde", "ograve", "oacute", "ocirc", "otilde", "ouml", "divide", "oslash",
        "ugrave", "uacute", "ucirc", "uuml", "yacute", "thorn", "yuml",
    ];
    let i = NAMES.iter().position(|n| *n == name)?;
    char::from_u32(0xa0 + i as u32)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn unescapes_what_escape_html4_writes() {
        assert_eq!(
            unescape_html("&lt;a&gt; &amp;amp; &quot;q&quot; &eacute;&#8364;&#x41; & x &bogus;"),
            "<a> &amp; \"q\" é€A & x &bogus;"
        );
    }

    #[test]
    fn error_detail_prefers_storms_message() {
        assert_eq!(
            error_detail(
                r#"{"error":"500 Server Error","errorMessage":"NotAliveException(msg:x)\nat ..."}"#
            ),
            "NotAliveException(msg:x)"
        );
        assert_eq!(
            error_detail("<html><head><title>Error 404 Not Found</title></head></html>"),
            "Error 404 Not Found"
        );
    }

    #[test]
    fn topology_summary_rows() {
        let v = json!({"topologies": [
            {"id": "b-2-2", "name": "b", "status": "ACTIVE", "uptime": "1m 2s",
             "uptimeSeconds": 62, "workersTotal": 2, "executorsTotal": 7, "tasksTotal": 7},
            {"id": "a-1-1", "name": "a", "status": "INACTIVE"}
        ]});
        let rows = parse_topology_summary(&v).unwrap();
        assert_eq!(rows[0].name, "a");
        assert_eq!(rows[1].uptime_secs, 62);
        assert_eq!(rows[1].workers, 2);
        assert!(parse_topology_summary(&json!({})).is_err());
    }

    #[test]
    fn logviewer_base_from_the_worker_log_link() {
        let w = Worker {
            host: "h".into(),
            port: 6700,
            uptime: String::new(),
            uptime_secs: 0,
            executors: 0,
            log_link: "http://10.0.0.5:8000/api/v1/log?file=t%2F6700%2Fworker.log".into(),
        };
        assert_eq!(w.logviewer_base().unwrap(), "http://10.0.0.5:8000");
    }

    #[test]
    fn encodes_path_segments() {
        assert_eq!(encode("a b/c%"), "a%20b%2Fc%25");
        assert_eq!(encode("word-counter_1.x~"), "word-counter_1.x~");
    }
}
