#!/usr/bin/env bash
# Static checks of the deployment and observability files under infra/, runnable
# without a Docker engine and without the services running.
#
#   infra/check.sh                        every check; exits non-zero on any failure
#   infra/check.sh metrics-used           the metric names the dashboards query, one a
#                                         line, sorted; nothing else on stdout
#   infra/check.sh metrics-used --services   the same without the broker's own
#                                         `rabbitmq_*` names: what our services must export
#   infra/check.sh promql-rules           every dashboard query as a recording rule (JSON),
#                                         which `promtool check rules` parses
#
# What `check` covers: dashboards (JSON, structure, datasource uids, metric names against
# the names the services promise), the list of metrics only the order services export,
# both Prometheus configs (promtool when installed; the local one must equal the Compose
# one up to target hosts), the Compose file (services, ports, environment against the
# services' defaults), Tempo and Grafana provisioning, and run.sh's syntax.
set -euo pipefail

INFRA="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$INFRA")"

# The Python half: dashboards and YAML. Arguments: infra dir, root dir, mode, flags.
checks_py() {
    python3 - "$INFRA" "$ROOT" "$@" <<'PY'
import json
import re
import sys
from pathlib import Path

INFRA, ROOT, MODE, *FLAGS = sys.argv[1:]
INFRA, ROOT = Path(INFRA), Path(ROOT)
DASHBOARDS = INFRA / "grafana" / "dashboards"
LATER = INFRA / "grafana" / "metrics-from-later-services.txt"

failures = []


def fail(msg):
    failures.append(msg)
    print(f"FAIL {msg}", file=sys.stderr)


mark = 0


def ok(msg):
    """Reports a section as passed when it added no failure since the last report."""
    global mark
    if len(failures) == mark:
        print(f"ok   {msg}")
    mark = len(failures)


def hist(name):
    return {f"{name}_bucket", f"{name}_sum", f"{name}_count"}


# The names the services export on /metrics. A dashboard querying anything else is a
# typo or a metric nobody produces.
SERVICE_METRICS = {
    "http_server_requests_total", "http_server_requests_errors_total",
    *hist("http_server_request_duration_seconds"),
    *hist("db_query_duration_seconds"), "db_pool_connections", "db_pool_max_connections",
    "events_published_total", "events_consumed_total",
    "outbox_backlog", "outbox_oldest_age_seconds", "outbox_backpressure_refusals_total",
    "dlq_depth",
    "inventory_reservations_total", "inventory_replenishments_total",
    "inventory_replenished_units_total", "inventory_active_reservations",
    "inventory_expiry_lag_seconds",
    "stock_view_live", "stock_view_lag_seconds", "stock_view_lag_events", "stock_view_entries",
    "stock_view_reads_total", *hist("stock_view_event_delay_seconds"),
    "process_cpu_seconds_total", "process_resident_memory_bytes", "process_open_fds",
    "tokio_workers", "tokio_alive_tasks", "tokio_global_queue_depth",
    *hist("saga_duration_seconds"), "saga_compensations_total", "orders_by_status",
    "payments_processed_total", *hist("payment_step_duration_seconds"),
}
# Only order-service and order-api export these.
ORDER_ONLY = re.compile(r"^(saga_|orders_|payments?_)")

# PromQL words that are neither functions (those are followed by "(") nor metrics.
KEYWORDS = {"and", "or", "unless", "bool", "by", "without", "on", "ignoring",
            "group_left", "group_right", "offset", "inf", "nan", "start", "end"}


def metric_names(expr):
    """Metric names a PromQL expression selects."""
    s = expr
    s = re.sub(r'"(?:\\.|[^"\\])*"|\'(?:\\.|[^\'\\])*\'|`[^`]*`', '""', s)  # strings
    s = re.sub(r"\$\{[^}]*\}|\[\[[^\]]*\]\]|\$\w+", " ", s)  # Grafana variables
    s = re.sub(r"\{[^{}]*\}", " ", s)  # label matchers
    s = re.sub(r"\[[^\]]*\]", " ", s)  # ranges, subqueries
    s = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", s)
    s = re.sub(r"\boffset\s+-?\w+", " ", s)
    s = re.sub(r"(?<![\w.])\d+(\.\d+)?([eE][+-]?\d+)?", " ", s)  # numbers
    names = set()
    for m in re.finditer(r"[A-Za-z_:][A-Za-z0-9_:]*", s):
        token = m.group(0)
        if s[m.end():].lstrip().startswith("("):
            continue  # a function or an aggregation
        if token.lower() in KEYWORDS:
            continue
        names.add(token)
    return names


def variable_metric_names(query):
    """Metric names a Prometheus template-variable query selects."""
    q = query.strip()
    m = re.fullmatch(r"label_values\((.*)\)", q, re.S)
    if m:
        args = m.group(1)
        # label_values(label) names no metric; label_values(selector, label) does.
        depth, cut = 0, None
        for i, ch in enumerate(args):
            depth += ch in "({[" 
            depth -= ch in ")}]"
            if ch == "," and depth == 0:
                cut = i
        return metric_names(args[:cut]) if cut is not None else set()
    m = re.fullmatch(r"query_result\((.*)\)", q, re.S)
    if m:
        return metric_names(m.group(1))
    if q.startswith(("metrics(", "label_names(")):
        return set()
    return metric_names(q)


def walk_panels(panels):
    for panel in panels:
        yield panel
        yield from walk_panels(panel.get("panels", []))


def load_dashboards():
    boards = {}
    for path in sorted(DASHBOARDS.glob("*.json")):
        try:
            boards[path.name] = json.loads(path.read_text())
        except json.JSONDecodeError as e:
            fail(f"{path.name}: not JSON: {e}")
    return boards


def used_metrics(boards):
    names = set()
    for board in boards.values():
        for panel in walk_panels(board.get("panels", [])):
            for target in panel.get("targets", []):
                if (target.get("datasource") or {}).get("type") == "prometheus":
                    names |= metric_names(target.get("expr", ""))
        for var in board.get("templating", {}).get("list", []):
            if (var.get("datasource") or {}).get("type") == "prometheus":
                query = var.get("query")
                if isinstance(query, dict):
                    query = query.get("query", "")
                names |= variable_metric_names(query or "")
    return names


def later_list():
    return [line.strip() for line in LATER.read_text().splitlines()
            if line.strip() and not line.lstrip().startswith("#")]


# -- metrics-used ------------------------------------------------------------------------
if MODE == "metrics-used":
    boards = load_dashboards()
    if failures or not boards:
        sys.exit("no dashboards, or one does not parse")
    names = used_metrics(boards)
    if "--services" in FLAGS:
        names = {n for n in names if not n.startswith("rabbitmq_")}
    print("\n".join(sorted(names)))
    sys.exit(0)

# -- promql-rules: every dashboard query as a recording rule, for `promtool check rules`
if MODE == "promql-rules":
    boards = load_dashboards()
    rules = []
    for name, board in sorted(boards.items()):
        for panel in walk_panels(board.get("panels", [])):
            for target in panel.get("targets", []):
                if (target.get("datasource") or {}).get("type") != "prometheus":
                    continue
                expr = target.get("expr", "")
                # Grafana fills these in before Prometheus sees the query.
                expr = re.sub(r"\$__(rate_interval|interval)\b", "1m", expr)
                expr = re.sub(r"\$__range\b", "1h", expr)
                expr = re.sub(r"\$\{[^}]*\}|\[\[[^\]]*\]\]|\$\w+", ".*", expr)
                rules.append({"record": f"dashboard_query_{len(rules) + 1}", "expr": expr,
                              "labels": {"dashboard": name, "panel": panel.get("title", "")}})
    print(json.dumps({"groups": [{"name": "dashboards", "rules": rules}]}, indent=1))
    sys.exit(0)

import yaml  # noqa: E402  (only the full check needs it)

# -- dashboards ---------------------------------------------------------------------------
DATASOURCE_UIDS = {"prometheus": "prometheus", "tempo": "tempo"}
EXPECTED_BOARDS = {
    "service-health.json", "endpoint-performance.json", "database.json", "rabbitmq.json",
    "traces.json", "errors.json", "resources.json", "business-events.json", "saga.json",
}
boards = load_dashboards()
missing = EXPECTED_BOARDS - set(boards)
if missing:
    fail(f"dashboards missing: {sorted(missing)}")
uids = {}
for name, board in boards.items():
    where = name
    for key in ("uid", "title", "schemaVersion", "panels"):
        if key not in board:
            fail(f"{where}: no {key}")
    if board.get("uid") in uids:
        fail(f"{where}: uid {board['uid']} also in {uids[board['uid']]}")
    uids[board.get("uid")] = name
    if not isinstance(board.get("schemaVersion"), int) or board["schemaVersion"] < 36:
        fail(f"{where}: schemaVersion should be a recent one (36+)")
    ids, cells = set(), {}
    for panel in walk_panels(board.get("panels", [])):
        title = panel.get("title", "?")
        if panel.get("id") in ids:
            fail(f"{where}: panel id {panel.get('id')} twice")
        ids.add(panel.get("id"))
        pos = panel.get("gridPos") or {}
        if not all(isinstance(pos.get(k), int) for k in "hwxy"):
            fail(f"{where}: panel {title!r} has no complete gridPos")
            continue
        if pos["x"] + pos["w"] > 24:
            fail(f"{where}: panel {title!r} is wider than the grid")
        for x in range(pos["x"], pos["x"] + pos["w"]):
            for y in range(pos["y"], pos["y"] + pos["h"]):
                if (x, y) in cells:
                    fail(f"{where}: panel {title!r} overlaps {cells[(x, y)]!r}")
                    break
                cells[(x, y)] = title
            else:
                continue
            break
        if panel.get("type") in ("row", "text"):
            continue
        ds = panel.get("datasource") or {}
        if DATASOURCE_UIDS.get(ds.get("type")) != ds.get("uid"):
            fail(f"{where}: panel {title!r} datasource {ds} is not a provisioned uid")
        targets = panel.get("targets") or []
        if not targets:
            fail(f"{where}: panel {title!r} has no targets")
        for target in targets:
            tds = target.get("datasource") or ds
            if DATASOURCE_UIDS.get(tds.get("type")) != tds.get("uid"):
                fail(f"{where}: panel {title!r} target datasource {tds} is not provisioned")
            if tds.get("type") == "prometheus" and not target.get("expr", "").strip():
                fail(f"{where}: panel {title!r} has a Prometheus target without expr")
            if tds.get("type") == "tempo" and not target.get("query", "").strip():
                fail(f"{where}: panel {title!r} has a Tempo target without query")
    for var in board.get("templating", {}).get("list", []):
        ds = var.get("datasource")
        if ds and DATASOURCE_UIDS.get(ds.get("type")) != ds.get("uid"):
            fail(f"{where}: variable {var.get('name')} datasource {ds} is not provisioned")
ok(f"{len(boards)} dashboards parse and are well formed")

used = used_metrics(boards)
for name in sorted(used):
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
        fail(f"dashboards: {name!r} does not look like a metric name (a PromQL word the "
             "extraction does not know?)")
    elif name not in SERVICE_METRICS and not name.startswith("rabbitmq_"):
        fail(f"dashboards: metric {name} is neither a service metric nor RabbitMQ's")
ok(f"dashboards query {len(used)} metric names, all known")

later = later_list()
for name in later:
    if name not in used:
        fail(f"{LATER.name}: {name} is listed but no dashboard uses it")
    if not ORDER_ONLY.match(name):
        fail(f"{LATER.name}: {name} is not an order-service/order-api metric")
# (A name used by dashboards and produced by the order services need not be listed:
# once they exist, the list is empty.)
ok(f"{LATER.name} lists exactly the order-only metrics the dashboards use")

# -- Prometheus -------------------------------------------------------------------------------
APP_PORTS = {"order-api": 3000, "inventory-api": 3001, "order-service": 3002,
             "inventory-service": 3003}
DOMAIN_DB = {"inventory-service": "inventory", "order-service": "orders"}
prom = yaml.safe_load((INFRA / "prometheus" / "prometheus.yml").read_text())
prom_local = yaml.safe_load((INFRA / "prometheus" / "prometheus.local.yml").read_text())


def on_localhost(config):
    config = json.loads(json.dumps(config))
    for job in config.get("scrape_configs", []):
        for static in job.get("static_configs", []):
            static["targets"] = ["127.0.0.1:" + t.rsplit(":", 1)[1] for t in static["targets"]]
    return config


if on_localhost(prom) != prom_local:
    fail("prometheus.local.yml differs from prometheus.yml in more than the target hosts")
ok("prometheus.local.yml = prometheus.yml with every target on 127.0.0.1")
jobs = {job["job_name"]: job for job in prom.get("scrape_configs", [])}
want_jobs = set(APP_PORTS) | {"rabbitmq", "prometheus"}
if set(jobs) != want_jobs:
    fail(f"prometheus.yml jobs {sorted(jobs)} != {sorted(want_jobs)}")
if prom.get("global", {}).get("scrape_interval") != "5s":
    fail("prometheus.yml: scrape_interval should be 5s")
for name, port in {**APP_PORTS, "rabbitmq": 15692}.items():
    targets = [t for s in jobs.get(name, {}).get("static_configs", []) for t in s["targets"]]
    if targets != [f"{name}:{port}"]:
        fail(f"prometheus.yml: job {name} targets {targets}, want {name}:{port}")
ok("Prometheus jobs and targets match the services")

# -- Compose ---------------------------------------------------------------------------------
compose = yaml.safe_load((INFRA / "docker-compose.yml").read_text())
services = compose.get("services", {})
want = set(APP_PORTS) | {"postgres", "rabbitmq", "prometheus", "grafana", "tempo"}
if set(services) != want:
    fail(f"docker-compose.yml services {sorted(services)} != {sorted(want)}")


FACADES = {"order-api", "inventory-api"}
# Keys a service must be given; a default in the Compose file would be a key everybody knows.
KEYS_REQUIRED = {
    "inventory-service": ("ADMIN_API_KEY",),
    "order-service": ("ADMIN_API_KEY", "ORDER_SERVICE_API_KEY"),
    "inventory-api": ("API_KEYS",),
    "order-api": ("API_KEYS", "INVENTORY_API_KEY", "ORDER_SERVICE_API_KEY"),
}


def env_of(service):
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return {k: str(v) for k, v in env.items()}


def container_ports(service):
    return {str(p).rsplit(":", 1)[-1]: str(p) for p in service.get("ports", [])}


def config_default_port(name):
    """The PORT default in the service's own settings, when its crate exists."""
    config = ROOT / "services" / name / "src" / "config.rs"
    if not config.exists():
        return None
    m = re.search(r'"PORT"\s*,\s*(\d+)', config.read_text())
    return int(m.group(1)) if m else None


for name, port in APP_PORTS.items():
    svc = services.get(name)
    if not svc:
        continue
    env = env_of(svc)
    build = svc.get("build") or {}
    if build.get("dockerfile") != "infra/Dockerfile" or build.get("context") != "..":
        fail(f"compose {name}: build should be context .. with infra/Dockerfile")
    if (build.get("args") or {}).get("SERVICE") != name:
        fail(f"compose {name}: build arg SERVICE should be {name}")
    if env.get("PORT") != str(port):
        fail(f"compose {name}: PORT {env.get('PORT')}, want {port}")
    default = config_default_port(name)
    if default is not None and default != port:
        fail(f"compose {name}: port {port}, but the service's default PORT is {default}")
    # Only the public facades are published on the host; the domain services are
    # reachable inside the stack's network only.
    if name in FACADES and container_ports(svc).get(str(port)) != f"{port}:{port}":
        fail(f"compose {name}: should publish {port}:{port}")
    if name not in FACADES and svc.get("ports"):
        fail(f"compose {name}: a domain service must not be published on the host")
    for var in KEYS_REQUIRED.get(name, ()):
        if ":?" not in env.get(var, ""):
            fail(f"compose {name}: {var} must be required (${{{var}:?...}}), never defaulted")
    if env.get("OTEL_SERVICE_NAME") != name:
        fail(f"compose {name}: OTEL_SERVICE_NAME should be {name} (it is the Prometheus job)")
    if env.get("OTEL_EXPORTER_OTLP_ENDPOINT") != "http://tempo:4318":
        fail(f"compose {name}: OTEL_EXPORTER_OTLP_ENDPOINT should be http://tempo:4318")
    if "RUST_LOG" not in env:
        fail(f"compose {name}: no RUST_LOG")
    test = " ".join(map(str, (svc.get("healthcheck") or {}).get("test", [])))
    if f"127.0.0.1:{port}/readyz" not in test:
        fail(f"compose {name}: healthcheck should probe :{port}/readyz")
    if name in DOMAIN_DB:
        if not re.fullmatch(rf"postgres://[^@]+@postgres:5432/{DOMAIN_DB[name]}",
                            env.get("DATABASE_URL", "")):
            fail(f"compose {name}: DATABASE_URL should name postgres:5432/{DOMAIN_DB[name]}")
        if not re.fullmatch(r"amqp://[^@]+@rabbitmq:5672/%2f", env.get("AMQP_URL", "")):
            fail(f"compose {name}: AMQP_URL should name rabbitmq:5672/%2f")
        if "ADMIN_API_KEY" not in env:
            fail(f"compose {name}: no ADMIN_API_KEY")
        for dep in ("postgres", "rabbitmq"):
            if (svc.get("depends_on") or {}).get(dep, {}).get("condition") != "service_healthy":
                fail(f"compose {name}: should wait for {dep} to be healthy")
    for var, upstream in (("INVENTORY_SERVICE_URL", "inventory-service"),
                          ("INVENTORY_API_URL", "inventory-api"),
                          ("ORDER_SERVICE_URL", "order-service")):
        if var in env and env[var] != f"http://{upstream}:{APP_PORTS[upstream]}":
            fail(f"compose {name}: {var}={env[var]}")
    if name == "inventory-api" and "INVENTORY_SERVICE_URL" not in env:
        fail("compose inventory-api: no INVENTORY_SERVICE_URL")
    if name == "inventory-api" and not re.fullmatch(r"amqp://[^@]+@rabbitmq:5672/%2f",
                                                    env.get("AMQP_URL", "")):
        fail("compose inventory-api: its stock view needs AMQP_URL naming rabbitmq:5672/%2f")
    if name == "order-api" and not {"ORDER_SERVICE_URL", "INVENTORY_API_URL"} <= set(env):
        fail("compose order-api: needs ORDER_SERVICE_URL and INVENTORY_API_URL")
    if svc.get("profiles"):
        fail(f"compose {name}: every service starts with the stack, without a profile")
if "3030:3000" not in " ".join(map(str, services.get("grafana", {}).get("ports", []))) \
        and "3030}:3000" not in " ".join(map(str, services.get("grafana", {}).get("ports", []))):
    fail("compose grafana: should publish 3030 on the host")
for name, svc in services.items():
    for volume in svc.get("volumes", []):
        source = str(volume).split(":", 1)[0]
        if source.startswith(".") and not (INFRA / source).exists():
            fail(f"compose {name}: mounts {source}, which does not exist")
ok("docker-compose.yml services, ports and environment match the services")

# -- Tempo and Grafana provisioning ------------------------------------------------------
tempo = yaml.safe_load((INFRA / "tempo" / "tempo.yaml").read_text())
protocols = tempo["distributor"]["receivers"]["otlp"]["protocols"]
if protocols.get("grpc", {}).get("endpoint") != "0.0.0.0:4317" or \
        protocols.get("http", {}).get("endpoint") != "0.0.0.0:4318":
    fail("tempo.yaml: OTLP receivers should listen on 0.0.0.0:4317 (gRPC) and :4318 (HTTP)")
if tempo.get("server", {}).get("http_listen_port") != 3200:
    fail("tempo.yaml: query port should be 3200")
sources = yaml.safe_load(
    (INFRA / "grafana" / "provisioning" / "datasources" / "datasources.yml").read_text())
got = {d.get("uid"): d.get("type") for d in sources.get("datasources", [])}
if got != {"prometheus": "prometheus", "tempo": "tempo"}:
    fail(f"datasources.yml: uids {got}, want prometheus and tempo")
yaml.safe_load((INFRA / "grafana" / "provisioning" / "dashboards" / "dashboards.yml").read_text())
ok("Tempo config and Grafana provisioning parse and agree")

sys.exit(1 if failures else 0)
PY
}

ensure_yaml() {
    python3 -c 'import yaml' 2>/dev/null && return 0
    echo "-- installing pyyaml" >&2
    python3 -m pip install --quiet pyyaml >&2
}

check() {
    local failed=0

    for f in "$INFRA"/grafana/dashboards/*.json; do
        python3 -m json.tool "$f" >/dev/null || { echo "FAIL $f is not valid JSON" >&2; failed=1; }
    done

    ensure_yaml
    checks_py check || failed=1

    if command -v promtool >/dev/null; then
        # Dashboard queries must parse as PromQL: check them as recording rules.
        local rules
        rules="$(mktemp --suffix=.json)"
        checks_py promql-rules >"$rules"
        if promtool check rules "$rules" >/dev/null 2>&1; then
            echo "ok   promtool parses every dashboard query"
        else
            promtool check rules "$rules" >&2 || true
            echo "FAIL promtool: a dashboard query is not valid PromQL" >&2
            failed=1
        fi
        rm -f "$rules"
        for config in prometheus.yml prometheus.local.yml; do
            if promtool check config "$INFRA/prometheus/$config" >/dev/null 2>&1; then
                echo "ok   promtool check config $config"
            else
                promtool check config "$INFRA/prometheus/$config" >&2 || true
                echo "FAIL promtool check config $config" >&2
                failed=1
            fi
        done
    else
        echo "skip promtool not installed (apt-get install prometheus): Prometheus configs only parsed"
    fi

    if docker compose version >/dev/null 2>&1; then
        if docker compose -f "$INFRA/docker-compose.yml" --profile orders config -q; then
            echo "ok   docker compose config"
        else
            echo "FAIL docker compose config" >&2
            failed=1
        fi
    else
        echo "skip docker compose not available: Compose file checked as YAML only"
    fi

    for script in "$INFRA/local/run.sh" "$INFRA/check.sh"; do
        bash -n "$script" || { echo "FAIL bash -n $script" >&2; failed=1; }
    done
    echo "ok   shell syntax of run.sh and check.sh"

    if ((failed)); then
        echo "infra check: FAILED" >&2
        return 1
    fi
    echo "infra check: all passed"
}

case "${1:-check}" in
    check) check ;;
    metrics-used) shift; checks_py metrics-used "$@" ;;
    promql-rules) checks_py promql-rules ;;
    *) echo "usage: $0 [check | metrics-used [--services] | promql-rules]" >&2; exit 2 ;;
esac
