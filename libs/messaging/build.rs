// `sqlx::migrate!` embeds `migrations/` at compile time; a migration added or removed
// must rebuild the crate.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
