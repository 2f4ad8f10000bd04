//! A button that copies text and says so; secrets are wiped from the
//! clipboard after 30 seconds.

use gloo_timers::callback::Timeout;
use yew::platform::spawn_local;
use yew::prelude::*;

use crate::platform::clipboard;
use crate::text::{Text, t, tf};

#[derive(Debug, Properties, PartialEq)]
pub struct CopyButtonProps {
    pub text: AttrValue,
    /// What the button copies, for its label ("Copy access key").
    pub label: AttrValue,
    #[prop_or_default]
    pub secret: bool,
    #[prop_or_default]
    pub action: AttrValue,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Copied {
    No,
    Yes,
    Failed,
}

#[component]
pub fn CopyButton(props: &CopyButtonProps) -> Html {
    let copied = use_state(|| Copied::No);
    let reset = use_mut_ref(|| None::<Timeout>);
    let on_click = {
        let copied = copied.clone();
        let text = props.text.clone();
        let secret = props.secret;
        Callback::from(move |_: MouseEvent| {
            let copied = copied.clone();
            let text = text.clone();
            let reset = reset.clone();
            spawn_local(async move {
                let done = if secret {
                    clipboard::copy_secret(&text).await
                } else {
                    clipboard::copy(&text).await
                };
                copied.set(if done { Copied::Yes } else { Copied::Failed });
                let back = copied.clone();
                reset.replace(Some(Timeout::new(4_000, move || back.set(Copied::No))));
            });
        })
    };
    let status = match (*copied, props.secret) {
        (Copied::No, _) => String::new(),
        (Copied::Yes, true) => tf(
            Text::CopiedSecret,
            &[&clipboard::CLEAR_AFTER_SECONDS.to_string()],
        ),
        (Copied::Yes, false) => t(Text::Copied),
        (Copied::Failed, _) => t(Text::CopyFailed),
    };
    html! {
        <span class="copy">
            <button type="button" class="small" onclick={on_click} data-action={props.action.clone()}>
                { props.label.clone() }
            </button>
            <span class="copy-status" role="status" data-copied={(*copied == Copied::Yes).to_string()}>{ status }</span>
        </span>
    }
}
