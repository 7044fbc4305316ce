use yew::prelude::*;

#[function_component(NotFound)]
pub fn not_found() -> Html {
    html! {
        <section class="not-found">
            <h1>{"Page not found"}</h1>
            <p>{"That address does not name a page of the playground. "}<a href="#/">{"Back to the catalogue"}</a></p>
        </section>
    }
}
