//! After login: who, for how long (with Extend), 2FA on or off, what the
//! companion reports about the account and its host, and Log out. In API
//! mode: the access key and the keys as CLI environment variables.

use baigate_shared::summary::{AccountSummary, HostUsage};
use gloo_timers::callback::Interval;
use yew::platform::spawn_local;
use yew::prelude::*;

use crate::actions::{self, Handle};
use crate::components::{CopyButton, NoticeView};
use crate::format::{format_bytes, format_remaining, format_time, whole_seconds};
use crate::hooks::{use_clock, use_focus};
use crate::panels::login::use_health_check;
use crate::platform::clock::parse_time;
use crate::protocol::extends_sessions;
use crate::state::{Access, Action};
use crate::text::{Text, t, tf};

/// How often the panel checks the session and reads the summary again.
const REFRESH_MS: u32 = 10_000;
/// Under this much time left, the countdown asks for attention.
const SOON_MS: f64 = 5.0 * 60.0 * 1000.0;

fn meter(label: Text, used: u64, total: u64, slug: &'static str) -> Html {
    // Per mille, so no float formatting is needed.
    let permille = u128::from(used) * 1000 / u128::from(total.max(1));
    let text = tf(Text::OfTotal, &[&format_bytes(used), &format_bytes(total)]);
    html! {
        <div class="usage" data-usage={slug}>
            <span class="usage-label" id={format!("usage-{slug}")}>{ t(label) }</span>
            <meter min="0" max="1000" high="900" value={permille.min(1000).to_string()}
                aria-labelledby={format!("usage-{slug}")} aria-valuetext={text.clone()}></meter>
            <span class="usage-value">{ text }</span>
        </div>
    }
}

fn host_view(host: &HostUsage) -> Html {
    let cpu = host.cpu_percent.clamp(0.0, 100.0).round() as u32;
    let cpu_text = tf(
        Text::CpuUsage,
        &[&cpu.to_string(), &host.cpu_count.to_string()],
    );
    html! {
        <section class="host" aria-labelledby="host-title">
            <h3 id="host-title">{ t(Text::ServerTitle) }</h3>
            <div class="usage" data-usage="cpu">
                <span class="usage-label" id="usage-cpu">{ t(Text::Cpu) }</span>
                <meter min="0" max="100" high="90" value={cpu.to_string()}
                    aria-labelledby="usage-cpu" aria-valuetext={cpu_text.clone()}></meter>
                <span class="usage-value">{ cpu_text }</span>
            </div>
            { meter(Text::Memory, host.memory_used_bytes, host.memory_total_bytes, "memory") }
            { meter(Text::Disk, host.disk_used_bytes, host.disk_total_bytes, "disk") }
        </section>
    }
}

fn account_view(account: &AccountSummary) -> Html {
    let previous = match account.last_login_at.as_deref().and_then(parse_time) {
        Some(ms) => tf(Text::PreviousLogin, &[&format_time(ms)]),
        None => t(Text::FirstLogin),
    };
    html! {
        <ul class="facts" data-summary="account">
            <li data-fact="previous-login">{ previous }</li>
            <li data-fact="live-sessions">{ tf(Text::LiveSessions, &[&account.live_sessions.to_string()]) }</li>
        </ul>
    }
}

/// The environment variables the Backend.AI CLI reads in API mode.
fn cli_environment(endpoint: &str, access_key: &str, secret_key: &str) -> String {
    format!(
        "export BACKEND_ENDPOINT={endpoint}\nexport BACKEND_ACCESS_KEY={access_key}\n\
         export BACKEND_SECRET_KEY={secret_key}\nexport BACKEND_ENDPOINT_TYPE=api\n"
    )
}

/// API mode: the keys and how to use them elsewhere.
#[component]
fn KeypairView() -> Html {
    let Some(state) = use_context::<Handle>() else {
        return html! {};
    };
    let Some(session) = state.session.clone() else {
        return html! {};
    };
    let Access::Keypair { secret_key } = &session.access else {
        return html! {};
    };
    let environment = cli_environment(&state.endpoint, &session.account.access_key, secret_key);
    html! {
        <>
            <p class="hint">{ t(Text::KeypairText) }</p>
            <p class="buttons start">
                <CopyButton text={environment} label={t(Text::CopyEnvironment)} secret=true action="copy-environment" />
            </p>
        </>
    }
}

/// 2FA on or off, with the button that changes it (session mode, where the
/// endpoint has 2FA).
fn two_factor_row(state: &Handle, enabled: Option<bool>) -> Html {
    let Some(enabled) = enabled else {
        return html! {};
    };
    let state = state.clone();
    let (text, button, action) = if enabled {
        (Text::TwoFactorOn, Text::TotpTurnOff, Action::ShowTotpOff)
    } else {
        (Text::TwoFactorOff, Text::TotpTurnOn, Action::StartTotpSetup)
    };
    let slug = if enabled {
        "turn-off-2fa"
    } else {
        "turn-on-2fa"
    };
    let on_click = Callback::from(move |_: MouseEvent| state.dispatch(action.clone()));
    html! {
        <p class="two-factor" data-fact="totp" data-enabled={enabled.to_string()}>
            <span>{ t(text) }</span>
            <button type="button" class="small" onclick={on_click} data-action={slug}>{ t(button) }</button>
        </p>
    }
}

#[component]
pub fn StartPanel() -> Html {
    let Some(state) = use_context::<Handle>() else {
        return html! {};
    };
    let now = use_clock();
    let first_button = use_node_ref();
    use_focus(first_button.clone());
    use_health_check(state.clone());
    // Notice a session ended elsewhere, and keep the host's numbers live.
    {
        let state = state.clone();
        use_effect_with((), move |_| {
            let interval = Interval::new(REFRESH_MS, move || {
                spawn_local(actions::refresh(state.clone()))
            });
            move || drop(interval)
        });
    }
    let Some(session) = state.session.clone() else {
        return html! {};
    };
    let api_mode = matches!(session.access, Access::Keypair { .. });
    let remaining = session.expires_ms.map(|until| until - now);
    let expired = remaining.is_some_and(|ms| ms <= 0.0);
    {
        let state = state.clone();
        use_effect_with(expired, move |expired| {
            if *expired {
                spawn_local(actions::refresh(state));
            }
        });
    }
    let on_extend = {
        let state = state.clone();
        Callback::from(move |_: MouseEvent| {
            if !state.busy {
                spawn_local(actions::extend(state.clone()));
            }
        })
    };
    let on_logout = {
        let state = state.clone();
        Callback::from(move |_: MouseEvent| {
            if !state.busy {
                spawn_local(actions::logout(state.clone()));
            }
        })
    };
    let who = session.who();
    // What the endpoint offers, once known (its health and config.toml).
    let offers = state
        .info
        .as_ref()
        .map(|info| extends_sessions(&state.health, &info.features));
    let extend_shown = !api_mode && offers == Some(true);
    let countdown = match remaining {
        Some(ms) => html! {
            <p class={classes!("countdown", (ms < SOON_MS).then_some("soon"))} role="timer"
                data-remaining={whole_seconds(ms).to_string()}>
                { tf(Text::SessionEnds, &[&format_remaining(ms)]) }
            </p>
        },
        None => html! {},
    };
    // What this server does not offer, said once and quietly (not an error).
    let not_offered = match (api_mode, remaining.is_some(), offers) {
        (true, _, _) => None,
        (false, false, Some(false)) => Some(Text::NotOfferedEndOrExtend),
        (false, false, _) => Some(Text::NotOfferedEnd),
        (false, true, Some(false)) => Some(Text::NotOfferedExtend),
        (false, true, _) => None,
    };
    let title = if api_mode {
        t(Text::KeypairTitle)
    } else {
        tf(Text::LoggedInAs, &[&who])
    };

    html! {
        <section class="panel" data-panel="start" data-mode={if api_mode { "api" } else { "session" }}
            aria-labelledby="start-title">
            <h2 id="start-title" class="who" data-user={who.clone()}>{ title }</h2>
            <p class="role">{ tf(Text::Role, &[&session.account.role]) }</p>
            <p class="access-key">
                { t(Text::AccessKey) }{ " " }<code data-qa="access-key">{ session.account.access_key.clone() }</code>
                <CopyButton text={session.account.access_key.clone()} label={t(Text::Copy)} action="copy-access-key" />
            </p>
            if api_mode { <KeypairView /> }
            { countdown }
            if let Some(text) = not_offered {
                <p class="hint" data-qa="not-offered" data-not-offered={text.key()}>{ t(text) }</p>
            }
            if let Some(summary) = &session.summary {
                { account_view(&summary.account) }
            }
            if !api_mode { { two_factor_row(&state, session.totp_enabled) } }
            if let Some(host) = session.summary.as_ref().and_then(|s| s.host.as_ref()) {
                { host_view(host) }
            }
            <NoticeView notice={state.notice.clone()} />
            <div class="buttons">
                <button type="button" onclick={on_logout} disabled={state.busy} data-action="logout"
                    ref={if extend_shown { NodeRef::default() } else { first_button.clone() }}>{ t(Text::Logout) }</button>
                if extend_shown {
                    <button type="button" class="primary" ref={first_button} onclick={on_extend}
                        disabled={state.busy} data-action="extend">{ t(Text::Extend) }</button>
                }
            </div>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cli_environment() {
        assert_eq!(
            cli_environment("http://127.0.0.1:8090", "AKIA", "SECRET"),
            "export BACKEND_ENDPOINT=http://127.0.0.1:8090\nexport BACKEND_ACCESS_KEY=AKIA\n\
             export BACKEND_SECRET_KEY=SECRET\nexport BACKEND_ENDPOINT_TYPE=api\n"
        );
    }
}
