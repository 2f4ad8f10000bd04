//! "Logged in elsewhere": end another session and log in here, or cancel.
//! When the endpoint lists the sessions, the user picks which one ends.

use baigate_shared::problem::ProblemType;
use baigate_shared::sessions::SessionSummary;
use yew::platform::spawn_local;
use yew::prelude::*;

use crate::actions::{self, Handle};
use crate::components::NoticeView;
use crate::format::{describe_client, format_time};
use crate::hooks::{use_escape, use_focus};
use crate::platform::clock::parse_time;
use crate::state::{Action, Conflict};
use crate::text::{Text, t, tf};

#[derive(Debug, Properties, PartialEq)]
pub struct ConflictProps {
    pub conflict: Conflict,
}

fn session_label(session: &SessionSummary) -> String {
    let client = session
        .user_agent
        .as_deref()
        .and_then(describe_client)
        .unwrap_or_else(|| t(Text::ConflictUnknownClient));
    let client = match &session.ip {
        Some(ip) => format!("{client} · {ip}"),
        None => client,
    };
    let since =
        parse_time(&session.created_at).map_or_else(|| session.created_at.clone(), format_time);
    tf(Text::ConflictSession, &[&client, &since])
}

#[component]
pub fn ConflictPanel(props: &ConflictProps) -> Html {
    let Some(state) = use_context::<Handle>() else {
        return html! {};
    };
    let confirm = use_node_ref();
    use_focus(confirm.clone());
    let on_cancel = {
        let state = state.clone();
        Callback::from(move |()| state.dispatch(Action::BackToLogin))
    };
    use_escape(on_cancel.clone());
    let conflict = &props.conflict;
    let on_confirm = {
        let state = state.clone();
        let conflict = conflict.clone();
        Callback::from(move |_: MouseEvent| {
            if state.busy {
                return;
            }
            if conflict.code_sent {
                // That code is spent; the next one goes with the forced login.
                state.dispatch(Action::ForceWithFreshCode);
            } else {
                spawn_local(actions::login(
                    state.clone(),
                    conflict.proof.clone(),
                    None,
                    true,
                    conflict.pick.clone(),
                ));
            }
        })
    };
    let sessions = conflict.sessions.iter().filter(|s| !s.current).map(|session| {
        let id = session.id.clone();
        let checked = conflict.pick.as_deref() == Some(session.id.as_str());
        let on_pick = {
            let state = state.clone();
            let id = id.clone();
            Callback::from(move |_: Event| state.dispatch(Action::PickSession(id.clone())))
        };
        html! {
            <li>
                <label>
                    <input type="radio" name="end-session" value={id} checked={checked} onchange={on_pick} />
                    { session_label(session) }
                </label>
            </li>
        }
    });

    html! {
        <section class="panel dialog" data-panel="conflict" data-problem={ProblemType::ActiveLoginSessionExists.slug().to_owned()} role="dialog" aria-modal="true"
            aria-labelledby="conflict-title" aria-describedby="conflict-text">
            <h2 id="conflict-title">{ t(Text::ConflictTitle) }</h2>
            <p id="conflict-text">{ t(Text::ConflictText) }</p>
            if !conflict.sessions.is_empty() {
                <fieldset class="sessions">
                    <legend>{ t(Text::ConflictPick) }</legend>
                    <ul>{ for sessions }</ul>
                </fieldset>
            }
            <NoticeView notice={state.notice.clone()} />
            <div class="buttons">
                <button type="button" onclick={on_cancel.reform(|_: MouseEvent| ())} data-action="cancel">
                    { t(Text::Cancel) }
                </button>
                <button type="button" class="primary danger" ref={confirm} onclick={on_confirm}
                    disabled={state.busy} data-action="end-session">
                    { if state.busy { t(Text::Busy) } else { t(Text::ConflictEnd) } }
                </button>
            </div>
        </section>
    }
}
