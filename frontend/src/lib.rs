//! The browser entry point: hydrate the server-rendered page and nothing else.

// The phone's page is typed through (`Either`, not `into_any()`, in app/src/components/join/),
// and its async hydration's future is a deep type: the default limit (128) is too low for it.
#![recursion_limit = "256"]

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    // Leptos' loader calls this in the same task that instantiated the wasm; hydrating in a task
    // of its own gives the browser a turn in between (input, paint) and shortens the longest task
    // a phone runs while the page loads: Lighthouse's slow phone, 180-243 ms before, 124-176 ms
    // after (blocking time 130-193 ms before, 74-126 after; README, "What a phone downloads").
    gloo_timers::callback::Timeout::new(0, || {
        // Async hydration: a lazy route (home, host, stage: see `app`) hydrates once its wasm
        // chunk has loaded; the phone's page, in the main wasm, hydrates at once.
        leptos::mount::hydrate_lazy(app::App);
    })
    .forget();
}

/// Slack for the wasm splitter (`cargo leptos build --split`, wasm_split_cli_support 0.2). It
/// lays each module's part of the read-only data out anew, with alignment padding, and when the
/// result is longer than the input segment (by 98 bytes once, by 552 another time) it gives up
/// ("Overlong segment 0", a warning cargo-leptos does not show) and leaves ALL the data in the
/// main wasm: the controls' and the stage's strings and the unicode tables, 25 KiB more for the
/// phone to download. Nothing refers to this array, so the splitter puts it in no module, and
/// its bytes become room for that padding; should the split give up anyway, they cost the main
/// wasm some 20 bytes in brotli. `#[used]` keeps it in the linked wasm; non-zero bytes keep it
/// in `.rodata` (zeros would go to `.bss`). end2end/tests/deploy_artifact.spec.ts checks the
/// phone's wasm against a budget, which a failed split exceeds.
#[used]
static SPLIT_SLACK: [u8; 4096] = [0x5a; 4096];
