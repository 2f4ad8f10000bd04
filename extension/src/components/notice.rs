//! A notice: `role=alert` for errors (read out at once), `status` otherwise;
//! `data-notice` names its words and `data-problem` the refusal's type.

use yew::prelude::*;

use crate::notice::Notice;
use crate::text::tf;

#[derive(Debug, Properties, PartialEq)]
pub struct NoticeProps {
    pub notice: Option<Notice>,
}

#[component]
pub fn NoticeView(props: &NoticeProps) -> Html {
    let Some(notice) = &props.notice else {
        return html! {};
    };
    let values: Vec<&str> = notice.values.iter().map(String::as_str).collect();
    let text = tf(notice.text, &values);
    // The problem type next to the words: scripts read it, whatever the
    // language (docs/qa.md).
    let problem = notice.problem.clone();
    if notice.error {
        html! { <p class="notice error" role="alert" data-notice={notice.text.key()} data-problem={problem}>{ text }</p> }
    } else {
        html! { <p class="notice info" role="status" data-notice={notice.text.key()} data-problem={problem}>{ text }</p> }
    }
}
