//! A local Auth0 Management API, on 127.0.0.1, following the documented contract (AUTH0.md §7):
//! the client-credentials token endpoint (checking the audience), Actions list/create/update/
//! get/deploy with asynchronous builds, trigger bindings replaced whole, and 429s with
//! Retry-After on demand. It records every request so tests can assert what the CLI sent.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread;

use serde_json::{json, Value};

pub const CLIENT_ID: &str = "deploy-bot";
pub const CLIENT_SECRET: &str = "m2m-secret-Zq81vX";

/// How the emulated tenant behaves.
#[derive(Clone)]
pub struct Config {
    /// Polls of `GET /actions/{id}` after a create or update before the build ends.
    pub builds_after_polls: usize,
    /// The build ends `failed` with these `(id, msg)` errors.
    pub fail_build: Option<Vec<(String, String)>>,
    /// The build never ends.
    pub never_built: bool,
    /// The next N Management API requests (not the token request) answer 429.
    pub throttle: usize,
    /// The Actions list answers 200 with a body that is not JSON.
    pub broken_list: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            builds_after_polls: 3,
            fail_build: None,
            never_built: false,
            throttle: 0,
            broken_list: false,
        }
    }
}

#[derive(Clone, Debug)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub status: u16,
    pub body: String,
}

impl Recorded {
    pub fn is(&self, method: &str, path_prefix: &str) -> bool {
        self.method == method && self.path.starts_with(path_prefix)
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).expect("a JSON request body")
    }
}

#[derive(Clone)]
pub struct StoredAction {
    pub id: String,
    pub name: String,
    pub code: String,
    pub runtime: String,
    pub secrets: Vec<(String, String)>,
    pub supported_triggers: Value,
    pub dependencies: Value,
    pub status: String,
    pub polls: usize,
    pub all_changes_deployed: bool,
    pub deployed_versions: u64,
}

pub struct State {
    pub config: Config,
    pub actions: Vec<StoredAction>,
    /// The post-login bindings, in order: (action id, display name).
    pub bindings: Vec<(String, String)>,
    pub requests: Vec<Recorded>,
    pub tokens_issued: Vec<String>,
    next_id: usize,
}

pub struct Emulator {
    pub origin: String,
    state: Arc<Mutex<State>>,
}

impl Emulator {
    /// A tenant with two post-login Actions already bound, in this order: rate-limiter,
    /// geo-block.
    pub fn start(config: Config) -> Emulator {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        let origin = format!("http://{}", listener.local_addr().unwrap());
        let mut state = State {
            config,
            actions: Vec::new(),
            bindings: Vec::new(),
            requests: Vec::new(),
            tokens_issued: Vec::new(),
            next_id: 0,
        };
        for name in ["rate-limiter", "geo-block"] {
            let id = state.new_id("act");
            state.actions.push(StoredAction {
                id: id.clone(),
                name: name.into(),
                code: "exports.onExecutePostLogin = async () => {};".into(),
                runtime: "node22".into(),
                secrets: Vec::new(),
                supported_triggers: json!([{"id": "post-login", "version": "v3"}]),
                dependencies: json!([]),
                status: "built".into(),
                polls: 0,
                all_changes_deployed: true,
                deployed_versions: 1,
            });
            state.bindings.push((id, format!("{name} (display)")));
        }
        let state = Arc::new(Mutex::new(state));
        let shared = Arc::clone(&state);
        let host = origin.clone();
        thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let state = Arc::clone(&shared);
                let host = host.clone();
                thread::spawn(move || serve(stream, &state, &host));
            }
        });
        Emulator { origin, state }
    }

    pub fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap()
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.state().requests.clone()
    }

    pub fn action_named(&self, name: &str) -> Option<StoredAction> {
        self.state()
            .actions
            .iter()
            .find(|a| a.name == name)
            .cloned()
    }

    /// The bound Actions' names, in order.
    pub fn bound_names(&self) -> Vec<String> {
        let state = self.state();
        state
            .bindings
            .iter()
            .map(|(id, _)| state.action(id).map(|a| a.name.clone()).unwrap_or_default())
            .collect()
    }
}

impl State {
    fn new_id(&mut self, prefix: &str) -> String {
        self.next_id += 1;
        format!("{prefix}-{:04}", self.next_id)
    }

    fn action(&self, id: &str) -> Option<&StoredAction> {
        self.actions.iter().find(|a| a.id == id)
    }
}

struct Request {
    method: String,
    path: String,
    authorization: Option<String>,
    body: String,
}

fn serve(stream: TcpStream, state: &Mutex<State>, origin: &str) {
    let Some(request) = read_request(&stream) else {
        return;
    };
    let Answer {
        status,
        body: text,
        retry_after,
    } = {
        let mut state = state.lock().unwrap();
        let answer = route(&mut state, &request, origin);
        state.requests.push(Recorded {
            method: request.method.clone(),
            path: request.path.clone(),
            status: answer.status,
            body: request.body.clone(),
        });
        answer
    };
    let reason = match status {
        200 => "OK",
        201 => "Created",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        409 => "Conflict",
        429 => "Too Many Requests",
        _ => "Other",
    };
    let mut head = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
         Connection: close\r\n",
        text.len()
    );
    if retry_after {
        head += "Retry-After: 1\r\n";
    }
    let mut stream = stream;
    let _ = stream.write_all(format!("{head}\r\n{text}").as_bytes());
}

fn read_request(stream: &TcpStream) -> Option<Request> {
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_string();
    let path = parts.next()?.to_string();
    let mut length = 0;
    let mut authorization = None;
    loop {
        let mut header = String::new();
        reader.read_line(&mut header).ok()?;
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        let (name, value) = header.split_once(':')?;
        match name.trim().to_ascii_lowercase().as_str() {
            "content-length" => length = value.trim().parse().ok()?,
            "authorization" => authorization = Some(value.trim().to_string()),
            _ => {}
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some(Request {
        method,
        path,
        authorization,
        body: String::from_utf8(body).ok()?,
    })
}

struct Answer {
    status: u16,
    body: String,
    retry_after: bool,
}

fn answer(status: u16, body: Value) -> Answer {
    Answer {
        status,
        body: body.to_string(),
        retry_after: false,
    }
}

fn api_error(status: u16, error: &str, message: &str, code: Option<&str>) -> Answer {
    let mut body = json!({"statusCode": status, "error": error, "message": message});
    if let Some(code) = code {
        body["errorCode"] = json!(code);
    }
    answer(status, body)
}

fn route(state: &mut State, request: &Request, origin: &str) -> Answer {
    let (path, query) = request
        .path
        .split_once('?')
        .unwrap_or((request.path.as_str(), ""));
    let method = request.method.as_str();
    if (method, path) == ("POST", "/oauth/token") {
        return token(state, &request.body, origin);
    }
    let bearer = request
        .authorization
        .as_deref()
        .and_then(|a| a.strip_prefix("Bearer "));
    if !bearer.is_some_and(|token| state.tokens_issued.iter().any(|t| t == token)) {
        return api_error(401, "Unauthorized", "Invalid token", Some("invalid_token"));
    }
    if state.config.throttle > 0 {
        state.config.throttle -= 1;
        return Answer {
            retry_after: true,
            ..api_error(
                429,
                "Too Many Requests",
                "Global limit has been reached",
                Some("too_many_requests"),
            )
        };
    }
    let body: Value = serde_json::from_str(&request.body).unwrap_or(Value::Null);
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    match (method, segments.as_slice()) {
        ("GET", ["api", "v2", "actions", "actions"]) => {
            if state.config.broken_list {
                return Answer {
                    status: 200,
                    body: "<html>upstream error</html>".into(),
                    retry_after: false,
                };
            }
            let name = query_value(query, "actionName");
            let actions: Vec<Value> = state
                .actions
                .iter()
                .filter(|a| name.as_deref().is_none_or(|n| a.name == n))
                .map(render)
                .collect();
            let total = actions.len();
            answer(
                200,
                json!({"actions": actions, "total": total, "page": 0, "per_page": 50}),
            )
        }
        ("POST", ["api", "v2", "actions", "actions"]) => create(state, &body),
        ("GET", ["api", "v2", "actions", "actions", id]) => {
            let config = state.config.clone();
            let Some(action) = state.actions.iter_mut().find(|a| a.id == *id) else {
                return api_error(404, "Not Found", "Action not found", None);
            };
            if !matches!(action.status.as_str(), "built" | "failed") {
                action.polls += 1;
                action.status = if config.never_built || action.polls < config.builds_after_polls {
                    "building".into()
                } else if config.fail_build.is_some() {
                    "failed".into()
                } else {
                    "built".into()
                };
            }
            let mut rendered = render(action);
            if action.status == "failed" {
                let errors: Vec<Value> = config
                    .fail_build
                    .unwrap_or_default()
                    .iter()
                    .map(|(id, msg)| json!({"id": id, "msg": msg, "url": "https://auth0.com"}))
                    .collect();
                rendered["errors"] = json!(errors);
            }
            answer(200, rendered)
        }
        ("PATCH", ["api", "v2", "actions", "actions", id]) => {
            let Some(action) = state.actions.iter_mut().find(|a| a.id == *id) else {
                return api_error(404, "Not Found", "Action not found", None);
            };
            if let Some(code) = body["code"].as_str() {
                action.code = code.into();
            }
            if let Some(runtime) = body["runtime"].as_str() {
                action.runtime = runtime.into();
            }
            if body.get("supported_triggers").is_some() {
                action.supported_triggers = body["supported_triggers"].clone();
            }
            if body.get("dependencies").is_some() {
                action.dependencies = body["dependencies"].clone();
            }
            // Documented: the secrets list replaces the old one whole.
            if let Some(secrets) = body["secrets"].as_array() {
                action.secrets = secret_pairs(secrets);
            }
            action.status = "pending".into();
            action.polls = 0;
            action.all_changes_deployed = false;
            answer(200, render(action))
        }
        ("POST", ["api", "v2", "actions", "actions", id, "deploy"]) => {
            let Some(action) = state.actions.iter_mut().find(|a| a.id == *id) else {
                return api_error(404, "Not Found", "Action not found", None);
            };
            if action.status != "built" {
                return api_error(
                    400,
                    "Bad Request",
                    "A draft must be in the 'built' state before it can be deployed.",
                    None,
                );
            }
            action.deployed_versions += 1;
            action.all_changes_deployed = true;
            let version = json!({
                "id": format!("ver-{}-{}", action.id, action.deployed_versions),
                "action_id": action.id,
                "number": action.deployed_versions,
                "deployed": true,
                "status": "built",
            });
            answer(200, version)
        }
        ("GET", ["api", "v2", "actions", "triggers", "post-login", "bindings"]) => {
            let page: usize = query_value(query, "page")
                .and_then(|p| p.parse().ok())
                .unwrap_or(0);
            let per_page: usize = query_value(query, "per_page")
                .and_then(|p| p.parse().ok())
                .unwrap_or(50);
            let all = render_bindings(state);
            let total = all.len();
            let bindings: Vec<Value> = all
                .into_iter()
                .skip(page * per_page)
                .take(per_page)
                .collect();
            answer(
                200,
                json!({"bindings": bindings, "total": total, "page": page, "per_page": per_page}),
            )
        }
        ("PATCH", ["api", "v2", "actions", "triggers", "post-login", "bindings"]) => {
            let Some(list) = body["bindings"].as_array() else {
                return api_error(400, "Bad Request", "Payload validation error", None);
            };
            let mut bindings = Vec::new();
            for binding in list {
                let value = binding["ref"]["value"].as_str().unwrap_or_default();
                let found = match binding["ref"]["type"].as_str() {
                    Some("action_id") => state.action(value),
                    Some("action_name") => state.actions.iter().find(|a| a.name == value),
                    _ => None,
                };
                let Some(found) = found else {
                    return api_error(404, "Not Found", "Action not found", None);
                };
                let display = binding["display_name"]
                    .as_str()
                    .unwrap_or(&found.name)
                    .to_string();
                bindings.push((found.id.clone(), display));
            }
            // Documented: the PATCH replaces the whole ordered list.
            state.bindings = bindings;
            answer(200, json!({"bindings": render_bindings(state)}))
        }
        _ => api_error(404, "Not Found", "Not Found", None),
    }
}

fn token(state: &mut State, body: &str, origin: &str) -> Answer {
    let body: Value = serde_json::from_str(body).unwrap_or(Value::Null);
    if body["grant_type"] != "client_credentials" {
        return answer(400, json!({"error": "unsupported_grant_type"}));
    }
    if body["client_id"] != CLIENT_ID || body["client_secret"] != CLIENT_SECRET {
        return answer(
            401,
            json!({"error": "access_denied", "error_description": "Unauthorized"}),
        );
    }
    let audience = format!("{origin}/api/v2/");
    if body["audience"] != audience.as_str() {
        return answer(
            403,
            json!({"error": "access_denied",
                   "error_description": format!("Service not enabled within domain: {}", body["audience"])}),
        );
    }
    let token = format!("mgmt-token-{}-{}", std::process::id(), state.new_id("t"));
    state.tokens_issued.push(token.clone());
    answer(
        200,
        json!({"access_token": token, "token_type": "Bearer", "expires_in": 86400,
               "scope": "read:actions create:actions update:actions"}),
    )
}

fn create(state: &mut State, body: &Value) -> Answer {
    let name = body["name"].as_str().unwrap_or_default().to_string();
    let valid = !name.is_empty()
        && body["code"].is_string()
        && matches!(body["runtime"].as_str(), Some("node18" | "node22"))
        && body["supported_triggers"].is_array();
    if !valid {
        return api_error(400, "Bad Request", "Payload validation error", None);
    }
    if state.actions.iter().any(|a| a.name == name) {
        return api_error(
            409,
            "Conflict",
            &format!("An action with the name '{name}' already exists."),
            None,
        );
    }
    let id = state.new_id("act");
    let action = StoredAction {
        id,
        name,
        code: body["code"].as_str().unwrap().into(),
        runtime: body["runtime"].as_str().unwrap().into(),
        secrets: secret_pairs(body["secrets"].as_array().map_or(&[][..], Vec::as_slice)),
        supported_triggers: body["supported_triggers"].clone(),
        dependencies: body.get("dependencies").cloned().unwrap_or(json!([])),
        status: "pending".into(),
        polls: 0,
        all_changes_deployed: false,
        deployed_versions: 0,
    };
    let rendered = render(&action);
    state.actions.push(action);
    answer(201, rendered)
}

fn secret_pairs(secrets: &[Value]) -> Vec<(String, String)> {
    secrets
        .iter()
        .map(|s| {
            (
                s["name"].as_str().unwrap_or_default().to_string(),
                s["value"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

/// What the API answers for an Action: secret names only, never values.
fn render(action: &StoredAction) -> Value {
    let secrets: Vec<Value> = action
        .secrets
        .iter()
        .map(|(name, _)| json!({"name": name, "updated_at": "2026-01-01T00:00:00.000Z"}))
        .collect();
    json!({
        "id": action.id,
        "name": action.name,
        "supported_triggers": action.supported_triggers,
        "all_changes_deployed": action.all_changes_deployed,
        "created_at": "2026-01-01T00:00:00.000Z",
        "updated_at": "2026-01-01T00:00:00.000Z",
        "code": action.code,
        "dependencies": action.dependencies,
        "runtime": action.runtime,
        "secrets": secrets,
        "status": action.status,
    })
}

fn render_bindings(state: &State) -> Vec<Value> {
    state
        .bindings
        .iter()
        .enumerate()
        .map(|(n, (id, display))| {
            let action = state.action(id).map(render).unwrap_or(Value::Null);
            json!({"id": format!("bind-{n}"), "trigger_id": "post-login",
                   "display_name": display, "action": action})
        })
        .collect()
}

fn query_value(query: &str, key: &str) -> Option<String> {
    query.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        (k == key).then(|| percent_decode(v))
    })
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Ok(b) = u8::from_str_radix(&text[i + 1..i + 3], 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
