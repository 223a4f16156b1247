//! The JSON Schemas in `contracts/schemas/` are the generated ones, one per event type,
//! and nothing else. `UPDATE_SCHEMAS=1 cargo test -p contracts --test schemas` rewrites
//! them from the types; without it, a difference fails the test.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use contracts::events::{ALL_EVENT_TYPES, schemas};
use serde_json::Value;

const STALE: &str =
    "schemas are stale: run `UPDATE_SCHEMAS=1 cargo test -p contracts --test schemas`";

/// The schema folder; with `UPDATE_SCHEMAS=1`, rewritten first (once, before any test
/// reads it).
fn schema_dir() -> PathBuf {
    static UPDATED: OnceLock<()> = OnceLock::new();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas");
    if std::env::var_os("UPDATE_SCHEMAS").is_some_and(|v| v == "1") {
        UPDATED.get_or_init(|| rewrite(&dir));
    }
    dir
}

/// Writes every generated schema and removes the files no event type generates.
fn rewrite(dir: &Path) {
    fs::create_dir_all(dir).expect("the schema folder can be created");
    let generated = schemas();
    for (name, schema) in &generated {
        fs::write(dir.join(name), render(schema)).expect("a schema file can be written");
    }
    let wanted: BTreeSet<&str> = generated.iter().map(|(name, _)| name.as_str()).collect();
    for entry in fs::read_dir(dir).expect("the schema folder is readable") {
        let path = entry.expect("the schema folder is readable").path();
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
        if name.is_some_and(|name| !wanted.contains(name.as_str())) {
            fs::remove_file(&path).expect("a stale schema file can be removed");
        }
    }
}

/// The file's text: pretty-printed JSON, keys sorted (whatever map serde_json is built
/// with), and a trailing newline.
fn render(schema: &Value) -> String {
    let mut schema = schema.clone();
    schema.sort_all_objects();
    let mut text = serde_json::to_string_pretty(&schema).expect("a schema serializes");
    text.push('\n');
    text
}

fn schema_files_on_disk() -> BTreeSet<String> {
    let Ok(entries) = fs::read_dir(schema_dir()) else {
        return BTreeSet::new();
    };
    entries
        .map(|entry| entry.expect("the schema folder is readable").file_name())
        .filter_map(|name| name.into_string().ok())
        .filter(|name| name.ends_with(".schema.json"))
        .collect()
}

fn generated_names() -> BTreeSet<String> {
    schemas().into_iter().map(|(name, _)| name).collect()
}

#[test]
fn committed_schemas_match_the_types() {
    let dir = schema_dir();
    let differing: Vec<String> = schemas()
        .into_iter()
        .filter(|(name, schema)| {
            fs::read_to_string(dir.join(name)).ok().as_deref() != Some(render(schema).as_str())
        })
        .map(|(name, _)| name)
        .collect();
    assert!(
        differing.is_empty(),
        "{STALE} (differing or missing: {differing:?})"
    );
}

#[test]
fn every_event_type_has_its_schema_file() {
    let on_disk = schema_files_on_disk();
    let missing: Vec<&str> = ALL_EVENT_TYPES
        .iter()
        .copied()
        .filter(|event_type| {
            !on_disk.iter().any(|name| {
                name.strip_prefix(event_type)
                    .is_some_and(|rest| rest.starts_with(".v"))
            })
        })
        .collect();
    assert!(
        missing.is_empty(),
        "{STALE} (no schema file for: {missing:?})"
    );
}

#[test]
fn no_stale_file_lies_in_the_schema_folder() {
    let wanted = generated_names();
    let entries = fs::read_dir(schema_dir()).expect("the schema folder exists");
    let extra: Vec<String> = entries
        .map(|entry| entry.expect("the schema folder is readable").file_name())
        .map(|name| name.to_string_lossy().into_owned())
        .filter(|name| !wanted.contains(name))
        .collect();
    assert!(
        extra.is_empty(),
        "{STALE} (files no event type generates: {extra:?})"
    );
}

#[test]
fn the_schema_list_names_every_event_type_once_in_order() {
    let names: Vec<String> = schemas().into_iter().map(|(name, _)| name).collect();
    let expected: Vec<String> = ALL_EVENT_TYPES
        .iter()
        .map(|event_type| format!("{event_type}.v1.schema.json"))
        .collect();
    assert_eq!(names, expected);
}

#[test]
fn each_schema_pins_its_event_type_and_major_version() {
    for (name, schema) in schemas() {
        let event_type = name.split('.').next().expect("a file name has a type");
        assert_eq!(schema["title"], event_type, "{name}");
        assert_eq!(schema["properties"]["type"]["const"], event_type, "{name}");
        assert_eq!(schema["properties"]["version"]["const"], 1, "{name}");
    }
}

#[test]
fn each_schema_is_json_schema_draft_07() {
    for (name, schema) in schemas() {
        assert_eq!(
            schema["$schema"], "http://json-schema.org/draft-07/schema#",
            "{name}"
        );
    }
}

#[test]
fn each_schema_requires_the_envelope_metadata_but_not_the_order_id() {
    for (name, schema) in schemas() {
        let required: BTreeSet<&str> = schema["required"]
            .as_array()
            .unwrap_or_else(|| panic!("{name} lists its required fields"))
            .iter()
            .filter_map(Value::as_str)
            .collect();
        for key in [
            "id",
            "type",
            "version",
            "source",
            "occurredAt",
            "correlationId",
            "data",
        ] {
            assert!(required.contains(key), "{name} should require {key}");
        }
        assert!(
            !required.contains("orderId"),
            "{name} should not require orderId"
        );
    }
}

/// Readers ignore unknown fields, so no schema may forbid them.
#[test]
fn no_schema_forbids_unknown_fields() {
    fn forbids_additional(value: &Value) -> bool {
        match value {
            Value::Object(map) => {
                map.get("additionalProperties") == Some(&Value::Bool(false))
                    || map.values().any(forbids_additional)
            }
            Value::Array(items) => items.iter().any(forbids_additional),
            _ => false,
        }
    }
    for (name, schema) in schemas() {
        assert!(
            !forbids_additional(&schema),
            "{name} forbids unknown fields"
        );
    }
}

#[test]
fn optional_payload_fields_are_not_required() {
    let optional = [
        ("OrderCreated", "customerId"),
        ("OrderCreated", "ttlSeconds"),
        ("OrderCancelled", "reason"),
        ("OrderConfirmed", "items"),
        ("ProductInventoryCommitFailed", "shortages"),
        ("ProductInventoryReservationFailed", "shortages"),
        ("ProductInventoryReservationFailed", "unknownSkus"),
        ("ProductInventoryPriceChanged", "storeId"),
    ];
    let all = schemas();
    for (event_type, field) in optional {
        let (_, schema) = all
            .iter()
            .find(|(name, _)| name.starts_with(&format!("{event_type}.")))
            .expect("the event type has a schema");
        let payload = &schema["definitions"][event_type];
        assert!(
            payload["properties"].get(field).is_some(),
            "{event_type} describes {field}"
        );
        let required = payload["required"].as_array().cloned().unwrap_or_default();
        assert!(
            !required.contains(&Value::from(field)),
            "{event_type} should not require {field}"
        );
    }
}

/// A reader that predates prices leaves them out: neither a reserved line nor a stock
/// row requires one.
#[test]
fn unit_prices_are_optional_where_they_travel() {
    let all = schemas();
    for (event_type, line) in [
        ("ProductInventoryReserved", "ReservedLine"),
        ("ProductInventoryStockChanged", "StockView"),
    ] {
        let (_, schema) = all
            .iter()
            .find(|(name, _)| name.starts_with(&format!("{event_type}.")))
            .expect("the event type has a schema");
        let definition = &schema["definitions"][line];
        assert!(
            definition["properties"].get("unitPrice").is_some(),
            "{line} describes unitPrice"
        );
        let required = definition["required"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        assert!(!required.contains(&Value::from("unitPrice")), "{line}");
    }
}
