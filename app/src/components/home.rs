use leptos::prelude::*; #[component] pub fn HomePage() -> impl IntoView { view!{<p>"x"</p>} }
