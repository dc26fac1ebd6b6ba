use leptos::prelude::*; #[component] pub fn JoinPage() -> impl IntoView { view!{<p>"x"</p>} }
