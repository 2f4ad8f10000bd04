//! Login is paused for the account: what happened, and a countdown from the
//! seconds the server gave.

use baigate_shared::problem::ProblemType;
use yew::prelude::*;

use crate::actions::Handle;
use crate::format::{format_remaining, whole_seconds};
use crate::hooks::{use_clock, use_escape, use_focus};
use crate::state::Action;
use crate::text::{Text, t, tf};

#[derive(Debug, Properties, PartialEq)]
pub struct LockedProps {
    /// When login resumes (ms since the epoch), if the server said.
    pub until_ms: Option<f64>,
}

#[component]
pub fn LockedPanel(props: &LockedProps) -> Html {
    let Some(state) = use_context::<Handle>() else {
        return html! {};
    };
    let now = use_clock();
    let back = use_node_ref();
    use_focus(back.clone());
    let on_back = {
        let state = state.clone();
        Callback::from(move |()| state.dispatch(Action::BackToLogin))
    };
    use_escape(on_back.clone());

    let countdown = match props.until_ms {
        Some(until) if until > now => html! {
            <p class="countdown" role="timer" data-remaining={whole_seconds(until - now).to_string()}>
                { tf(Text::LockedCountdown, &[&format_remaining(until - now)]) }
            </p>
        },
        Some(_) => html! { <p class="countdown ready" role="status">{ t(Text::LockedReady) }</p> },
        None => html! { <p class="countdown">{ t(Text::LockedNoTime) }</p> },
    };
    html! {
        <section class="panel" data-panel="locked" data-problem={ProblemType::TooManyRequests.slug().to_owned()} aria-labelledby="locked-title">
            <h2 id="locked-title">{ t(Text::LockedTitle) }</h2>
            <p>{ t(Text::LockedText) }</p>
            { countdown }
            <div class="buttons">
                <button type="button" class="primary" ref={back} data-action="back"
                    onclick={on_back.reform(|_: MouseEvent| ())}>{ t(Text::Back) }</button>
            </div>
        </section>
    }
}
