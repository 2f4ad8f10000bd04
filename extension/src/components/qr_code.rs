//! A QR code drawn as SVG from text (an `otpauth://` URI).

use yew::prelude::*;

use crate::qr;

#[derive(Debug, Properties, PartialEq)]
pub struct QrCodeProps {
    pub text: AttrValue,
    pub label: AttrValue,
}

#[component]
pub fn QrCode(props: &QrCodeProps) -> Html {
    let encoded = use_memo(props.text.clone(), |text| qr::encode(text));
    let Some(code) = encoded.as_ref() else {
        return html! {};
    };
    let view_box = format!("0 0 {0} {0}", code.size);
    html! {
        <svg class="qr" viewBox={view_box} role="img" aria-label={props.label.clone()}
            shape-rendering="crispEdges" data-qr="true">
            <rect width="100%" height="100%" fill="#fff" />
            <path d={code.path.clone()} fill="#000" />
        </svg>
    }
}
