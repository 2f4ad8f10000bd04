//! The popup: reads storage once, then shows the panel the state names.

use yew::platform::spawn_local;
use yew::prelude::*;

use crate::actions::{self, Handle};
use crate::components::HeaderTools;
use crate::panels::{
    ConflictPanel, ForgotPanel, LockedPanel, LoginPanel, MailSentPanel, OtpPanel, SignupPanel,
    StartPanel, TotpOffPanel, TotpSetupPanel,
};
use crate::state::{Panel, State};
use crate::text::{Text, t};

#[component]
pub fn App() -> Html {
    let state = use_reducer(State::default);
    {
        let state = state.clone();
        use_effect_with((), move |_| spawn_local(actions::load(state)));
    }
    let panel = match state.panel {
        Panel::Loading => html! { <p class="loading" aria-busy="true">{ t(Text::Busy) }</p> },
        Panel::Login => html! { <LoginPanel /> },
        Panel::Otp => html! { <OtpPanel /> },
        Panel::Locked => html! { <LockedPanel /> },
        Panel::Conflict => html! { <ConflictPanel /> },
        Panel::Start => html! { <StartPanel /> },
        Panel::Signup => html! { <SignupPanel /> },
        Panel::Forgot => html! { <ForgotPanel /> },
        Panel::MailSent => html! { <MailSentPanel /> },
        Panel::TotpSetup => html! { <TotpSetupPanel /> },
        Panel::TotpOff => html! { <TotpOffPanel /> },
    };
    html! {
        <ContextProvider<Handle> context={state.clone()}>
            <header class="app-header">
                <img src="icons/icon-32.png" alt="" width="20" height="20" />
                <h1>{ t(Text::AppTitle) }</h1>
                <HeaderTools />
            </header>
            <main>{ panel }</main>
        </ContextProvider<Handle>>
    }
}
