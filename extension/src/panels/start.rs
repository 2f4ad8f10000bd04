//! After login: who, for how long (with Extend), what the companion reports
//! about the account and its host, and Log out.

use baigate_shared::summary::{AccountSummary, HostUsage};
use gloo_timers::callback::Interval;
use yew::platform::spawn_local;
use yew::prelude::*;

use crate::actions::{self, Handle, parse_time};
use crate::components::{
    NoticeView, format_bytes, format_remaining, format_time, use_clock, use_focus,
};
use crate::text::{Text, t, tf};

/// How often the panel checks the session and reads the summary again.
const REFRESH_MS: u32 = 10_000;
/// Under this much time left, the countdown asks for attention.
const SOON_MS: f64 = 5.0 * 60.0 * 1000.0;

fn meter(label: Text, used: u64, total: u64, slug: &'static str) -> Html {
    let ratio = if total == 0 {
        0.0
    } else {
        used as f64 / total as f64
    };
    let text = tf(Text::OfTotal, &[&format_bytes(used), &format_bytes(total)]);
    html! {
        <div class="usage" data-usage={slug}>
            <span class="usage-label" id={format!("usage-{slug}")}>{ t(label) }</span>
            <meter min="0" max="1" high="0.9" value={format!("{ratio:.3}")}
                aria-labelledby={format!("usage-{slug}")} aria-valuetext={text.clone()}></meter>
            <span class="usage-value">{ text }</span>
        </div>
    }
}

fn host_view(host: &HostUsage) -> Html {
    let cpu = f64::from(host.cpu_percent.clamp(0.0, 100.0));
    let cpu_text = tf(
        Text::CpuUsage,
        &[&format!("{cpu:.0}"), &host.cpu_count.to_string()],
    );
    html! {
        <section class="host" aria-labelledby="host-title">
            <h3 id="host-title">{ t(Text::ServerTitle) }</h3>
            <div class="usage" data-usage="cpu">
                <span class="usage-label" id="usage-cpu">{ t(Text::Cpu) }</span>
                <meter min="0" max="100" high="90" value={format!("{cpu:.1}")}
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
            <li data-fact="totp">{ if account.totp_enabled { t(Text::TwoFactorOn) } else { t(Text::TwoFactorOff) } }</li>
            <li data-fact="previous-login">{ previous }</li>
            <li data-fact="live-sessions">{ tf(Text::LiveSessions, &[&account.live_sessions.to_string()]) }</li>
        </ul>
    }
}

#[component]
pub fn StartPanel() -> Html {
    let Some(state) = use_context::<Handle>() else {
        return html! {};
    };
    let now = use_clock();
    let extend_button = use_node_ref();
    use_focus(extend_button.clone());
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
    let who = session.summary.as_ref().map_or_else(
        || session.account.access_key.clone(),
        |summary| summary.account.email.clone(),
    );
    let countdown = match remaining {
        Some(ms) => html! {
            <p class={classes!("countdown", (ms < SOON_MS).then_some("soon"))} role="timer"
                data-remaining={format!("{:.0}", ms / 1000.0)}>
                { tf(Text::SessionEnds, &[&format_remaining(ms)]) }
            </p>
        },
        None => html! { <p class="countdown">{ t(Text::SessionNoExpiry) }</p> },
    };

    html! {
        <section class="panel" data-panel="start" aria-labelledby="start-title">
            <h2 id="start-title" class="who" data-user={who.clone()}>{ tf(Text::LoggedInAs, &[&who]) }</h2>
            <p class="role">{ tf(Text::Role, &[&session.account.role]) }</p>
            <p class="access-key">{ t(Text::AccessKey) }{ " " }<code>{ session.account.access_key.clone() }</code></p>
            { countdown }
            if let Some(summary) = &session.summary {
                { account_view(&summary.account) }
                if let Some(host) = &summary.host { { host_view(host) } }
            }
            <NoticeView notice={state.notice.clone()} />
            <div class="buttons">
                <button type="button" onclick={on_logout} disabled={state.busy} data-action="logout">{ t(Text::Logout) }</button>
                <button type="button" class="primary" ref={extend_button} onclick={on_extend}
                    disabled={state.busy} data-action="extend">{ t(Text::Extend) }</button>
            </div>
        </section>
    }
}
