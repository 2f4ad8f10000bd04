//! The popup header's tools: the sidebar toggle for the Backend.AI page in
//! the current tab (shown only when such a page answers) and the settings.

use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

use crate::messages::{ContentMessage, Sidebar, SidebarAnswer};
use crate::platform::{runtime, tabs};
use crate::text::{Text, t};

#[component]
pub fn HeaderTools() -> Html {
    // None: no Backend.AI page in the tab (or not asked yet).
    let sidebar = use_state(|| None::<Sidebar>);
    let toggled = use_state(|| false);
    {
        let sidebar = sidebar.clone();
        use_effect_with((), move |()| {
            spawn_local(async move {
                if let Some(answer) =
                    tabs::ask_page::<SidebarAnswer>(ContentMessage::SidebarState).await
                {
                    sidebar.set(Some(answer.state));
                }
            });
        });
    }
    let toggle = {
        let sidebar = sidebar.clone();
        let toggled = toggled.clone();
        Callback::from(move |_| {
            let (sidebar, toggled) = (sidebar.clone(), toggled.clone());
            spawn_local(async move {
                if let Some(answer) =
                    tabs::ask_page::<SidebarAnswer>(ContentMessage::ToggleSidebar).await
                {
                    sidebar.set(Some(answer.state));
                    toggled.set(true);
                }
            });
        })
    };
    let settings = Callback::from(|_| spawn_local(runtime::open_options()));
    html! {
        <>
            <div class="header-tools">
                if let Some(state) = *sidebar {
                    <button type="button" class="tool" id="toggle-sidebar" onclick={toggle}
                        aria-pressed={(state == Sidebar::Narrow).to_string()}
                        data-sidebar={if state == Sidebar::Narrow { "narrow" } else { "wide" }}>
                        { t(Text::SidebarToggle) }
                    </button>
                }
                <button type="button" class="tool" id="open-options" onclick={settings}>
                    { t(Text::OpenOptions) }
                </button>
            </div>
            if let (true, Some(state)) = (*toggled, *sidebar) {
                <p class="sidebar-status" role="status">
                    { t(if state == Sidebar::Narrow { Text::SidebarNarrow } else { Text::SidebarWide }) }
                </p>
            }
        </>
    }
}
