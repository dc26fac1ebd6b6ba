//! The landing page: start a raffle, or join one.

use leptos::prelude::*;

#[component]
pub fn HomePage() -> impl IntoView {
    view! {
        <section class="home">
            <h1 class="brand">"Raffler"</h1>
            <p class="tagline">"A live raffle for your meetup. The room joins from their phones; you draw on the big screen."</p>
            <nav class="home-actions">
                <a class="button primary" href="/host">"Start a raffle"</a>
                <a class="button" href="/join">"Join a raffle"</a>
            </nav>
        </section>
    }
}
