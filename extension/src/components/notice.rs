//! A notice: `role=alert` for errors (read out at once), `status` otherwise.

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
    if notice.error {
        html! { <p class="notice error" role="alert" data-notice={notice.text.key()}>{ text }</p> }
    } else {
        html! { <p class="notice info" role="status" data-notice={notice.text.key()}>{ text }</p> }
    }
}
