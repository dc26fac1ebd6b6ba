use leptos::prelude::*; #[component] pub fn HostPage() -> impl IntoView { view!{<p>"x"</p>} }
