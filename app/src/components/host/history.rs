//! The history of the evening: every draw, its winner, claimed or skipped, and when; to keep as
//! CSV or JSON. A winner the host entered by name (a walk-in) is marked "entered by the host".

use super::Host;
use crate::browser;
use crate::protocol::{ClaimView, DrawView};
use leptos::prelude::*;

#[component]
pub(super) fn History(host: Host) -> impl IntoView {
    let code = move || host.board.with(|b| b.code.clone());
    let download_csv = move |_| {
        let csv = host.board.with_untracked(|b| to_csv(&b.draws, &b.walk_ins));
        browser::download(&format!("raffle-{}.csv", code()), "text/csv", &csv);
    };
    let download_json = move |_| {
        let json = host.board.with_untracked(|b| to_json(&b.draws, &b.walk_ins));
        browser::download(&format!("raffle-{}.json", code()), "application/json", &json);
    };
    view! {
        <section class="panel history" aria-labelledby="history-heading">
            <h2 id="history-heading">"History"</h2>
            {move || if host.board.with(|b| b.draws.is_empty()) {
                view! { <p class="hint">"No draws yet."</p> }.into_any()
            } else {
                view! {
                    <table>
                        <thead><tr><th>"#"</th><th>"Prize"</th><th>"Winner"</th><th>"Result"</th><th>"When"</th></tr></thead>
                        <tbody>
                            {move || host.board.get().draws.into_iter().map(|d| view! {
                                <tr>
                                    <td>{d.draw}</td>
                                    <td>{d.prize.clone().unwrap_or_else(|| "—".into())}</td>
                                    <td>{winner_label(&d, &host.board.with_untracked(|b| b.walk_ins.clone()))}</td>
                                    <td>{result(&d, host.board.with_untracked(|b| b.ended_at))}</td>
                                    <td>{browser::local_time(d.claim_changed_at.or(d.revealed_at).unwrap_or(d.started_at))}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any()
            }}
            <div class="button-row">
                <button class="button" on:click=download_csv disabled=move || !host.ready.get()>"Download CSV"</button>
                <button class="button" on:click=download_json disabled=move || !host.ready.get()>"Download JSON"</button>
            </div>
        </section>
    }
}

/// What became of a draw, in words; `ended_at` tells a claim made after the raffle ended.
fn result(d: &DrawView, ended_at: Option<u64>) -> String {
    let after_end = ended_at.zip(d.claim_changed_at).is_some_and(|(end, at)| at > end);
    let result = match d.claim {
        ClaimView::Spinning => "drawing",
        ClaimView::Void => "nobody left to win",
        ClaimView::Open if ended_at.is_some() => "waiting for claim (the raffle has ended)",
        ClaimView::Open => "waiting for claim",
        ClaimView::Claimed if after_end => "claimed after the end",
        ClaimView::Claimed => "claimed",
        ClaimView::Skipped => "skipped",
        ClaimView::Expired => "not claimed",
    };
    match d.redraw_of {
        Some(of) => format!("{result} (redraw of #{of})"),
        None => result.to_owned(),
    }
}

/// Whether `d`'s winner was entered by the host (a walk-in) rather than joined from a phone.
fn entered_by_host(d: &DrawView, walk_ins: &[u32]) -> bool {
    d.winner.as_ref().is_some_and(|w| walk_ins.contains(&w.id))
}

/// The winner as the history table shows them.
fn winner_label(d: &DrawView, walk_ins: &[u32]) -> String {
    match &d.winner {
        Some(w) if entered_by_host(d, walk_ins) => format!("{} (entered by the host)", w.name),
        Some(w) => w.name.clone(),
        None => "—".into(),
    }
}

/// The draws as JSON, each with `entered_by_host` beside the wire's fields.
fn to_json(draws: &[DrawView], walk_ins: &[u32]) -> String {
    let rows: Vec<serde_json::Value> = draws
        .iter()
        .map(|d| {
            let mut row = serde_json::to_value(d).unwrap_or_default();
            if let Some(fields) = row.as_object_mut() {
                fields.insert("entered_by_host".into(), entered_by_host(d, walk_ins).into());
            }
            row
        })
        .collect();
    serde_json::to_string_pretty(&rows).unwrap_or_default()
}

fn to_csv(draws: &[DrawView], walk_ins: &[u32]) -> String {
    let mut csv = String::from(
        "draw,prize,winner,entered_by_host,result,redraw_of,started_at,revealed_at,claimed_or_skipped_at\n",
    );
    for d in draws {
        let row = [
            d.draw.to_string(),
            d.prize.clone().unwrap_or_default(),
            d.winner.as_ref().map(|w| w.name.clone()).unwrap_or_default(),
            if entered_by_host(d, walk_ins) { "yes" } else { "" }.to_owned(),
            format!("{:?}", d.claim).to_lowercase(),
            d.redraw_of.map(|r| r.to_string()).unwrap_or_default(),
            browser::iso_time(d.started_at),
            d.revealed_at.map(browser::iso_time).unwrap_or_default(),
            d.claim_changed_at.map(browser::iso_time).unwrap_or_default(),
        ];
        csv.push_str(&row.iter().map(|field| csv_field(field)).collect::<Vec<_>>().join(","));
        csv.push('\n');
    }
    csv
}

/// Quotes a field when it needs it; a leading =, +, - or @ is defused so that a spreadsheet
/// never runs a player's name as a formula.
fn csv_field(field: &str) -> String {
    let defused =
        if field.starts_with(['=', '+', '-', '@']) { format!("'{field}") } else { field.to_owned() };
    if defused.contains([',', '"', '\n', '\r']) || defused != field {
        format!("\"{}\"", defused.replace('"', "\"\""))
    } else {
        defused
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::PlayerView;

    #[test]
    fn csv_quotes_commas_and_defuses_formulas() {
        assert_eq!(csv_field("Ada"), "Ada");
        assert_eq!(csv_field("Lovelace, Ada"), "\"Lovelace, Ada\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("=HYPERLINK(1)"), "\"'=HYPERLINK(1)\"");
    }

    #[test]
    fn csv_has_a_row_per_draw() {
        let draw = DrawView {
            draw: 1,
            prize_id: 1,
            prize: Some("Book".into()),
            winner: Some(PlayerView { id: 3, name: "Ada".into() }),
            claim: ClaimView::Claimed,
            started_at: 0,
            revealed_at: Some(0),
            claim_changed_at: Some(0),
            redraw_of: None,
            claim_ms_left: None,
            beacon_round: None,
            void_reason: None,
        };
        let csv = to_csv(std::slice::from_ref(&draw), &[]);
        assert_eq!(csv.lines().count(), 2);
        assert!(csv.lines().nth(1).unwrap().starts_with("1,Book,Ada,,claimed,,"));
        // Ada entered by the host (a walk-in): the export says so.
        let csv = to_csv(std::slice::from_ref(&draw), &[3]);
        assert!(csv.lines().nth(1).unwrap().starts_with("1,Book,Ada,yes,claimed,,"));
        let json: serde_json::Value = serde_json::from_str(&to_json(&[draw], &[3])).unwrap();
        assert_eq!(json[0]["entered_by_host"], true);
        assert_eq!(json[0]["winner"]["name"], "Ada");
    }
}
