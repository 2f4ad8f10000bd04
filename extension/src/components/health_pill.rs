//! What the endpoint is, before the password is typed.

use yew::prelude::*;

use crate::protocol::Health;
use crate::text::{Text, t, tf};

#[derive(Debug, Properties, PartialEq)]
pub struct HealthPillProps {
    pub health: Health,
}

#[component]
pub fn HealthPill(props: &HealthPillProps) -> Html {
    let (class, text) = match &props.health {
        Health::Checking => ("pill checking", t(Text::HealthChecking)),
        Health::Companion(version) => ("pill ok", tf(Text::HealthCompanion, &[version])),
        Health::BackendAi(version) => ("pill ok", tf(Text::HealthBackendAi, &[version])),
        Health::NotBackendAi => ("pill bad", t(Text::HealthNotBackendAi)),
        Health::Unreachable => ("pill bad", t(Text::HealthUnreachable)),
        Health::Offline => ("pill bad", t(Text::HealthOffline)),
        Health::InvalidAddress => ("pill bad", t(Text::HealthInvalid)),
        Health::NeedsAccess => ("pill checking", t(Text::HealthNeedsAccess)),
    };
    html! { <span class={class} role="status" data-health={health_slug(&props.health)}>{ text }</span> }
}

pub fn health_slug(health: &Health) -> &'static str {
    match health {
        Health::Checking => "checking",
        Health::Companion(_) => "companion",
        Health::BackendAi(_) => "backend-ai",
        Health::NotBackendAi => "not-backend-ai",
        Health::Unreachable => "unreachable",
        Health::Offline => "offline",
        Health::InvalidAddress => "invalid",
        Health::NeedsAccess => "needs-access",
    }
}
