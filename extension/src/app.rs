//! The popup: reads storage once, then shows the panel the state names,
//! with that panel's own data.

use yew::platform::spawn_local;
use yew::prelude::*;

use crate::actions::{self, Handle};
use crate::components::HeaderTools;
use crate::panels::{
    ConflictPanel, ForgotPanel, LockedPanel, LoginPanel, MailSentPanel, OtpPanel, SignupPanel,
    StartPanel, TotpOffPanel, TotpSetupPanel,
};
use crate::profiles::Profile;
use crate::state::{Panel, State};
use crate::text::{Text, t};

/// Keeps the endpoint profiles as the state has them, once storage has been
/// read: the popup's one writer of them.
#[hook]
fn use_saved_profiles(state: &State) {
    let loaded = (state.panel != Panel::Loading).then(|| state.profiles.clone());
    // What storage holds: the list read at load, then each one written.
    let stored = use_mut_ref(|| None::<Vec<Profile>>);
    use_effect_with(loaded, move |loaded| {
        let Some(profiles) = loaded.clone() else {
            return;
        };
        let first = stored.borrow().is_none();
        let changed = stored.borrow().as_ref() != Some(&profiles);
        stored.replace(Some(profiles.clone()));
        if !first && changed {
            spawn_local(actions::save_profiles(profiles));
        }
    });
}

#[component]
pub fn App() -> Html {
    let state = use_reducer(State::default);
    {
        let state = state.clone();
        use_effect_with((), move |_| spawn_local(actions::load(state)));
    }
    use_saved_profiles(&state);
    let panel = match &state.panel {
        Panel::Loading => html! { <p class="loading" aria-busy="true">{ t(Text::Busy) }</p> },
        Panel::Login => html! { <LoginPanel /> },
        Panel::Otp { proof, force } => {
            html! { <OtpPanel proof={proof.clone()} force={force.clone()} /> }
        }
        Panel::Locked { until_ms } => html! { <LockedPanel until_ms={*until_ms} /> },
        Panel::Conflict(conflict) => html! { <ConflictPanel conflict={conflict.clone()} /> },
        Panel::Start => html! { <StartPanel /> },
        Panel::Signup => html! { <SignupPanel /> },
        Panel::Forgot => html! { <ForgotPanel /> },
        Panel::MailSent(mail) => html! { <MailSentPanel mail={mail.clone()} /> },
        Panel::TotpSetup(setup) => html! { <TotpSetupPanel setup={setup.clone()} /> },
        Panel::TotpOff => html! { <TotpOffPanel /> },
    };
    html! {
        <ContextProvider<Handle> context={state.clone()}>
            <header class="app-header">
                <img src="icons/icon-32.png" alt="" width="20" height="20" />
                <h1>{ t(Text::AppTitle) }</h1>
                <HeaderTools />
            </header>
            // For scripts: "true" while storage is read or a request the
            // user made is in flight (docs/qa.md).
            <main data-busy={(state.busy || state.panel == Panel::Loading).to_string()}>{ panel }</main>
        </ContextProvider<Handle>>
    }
}
