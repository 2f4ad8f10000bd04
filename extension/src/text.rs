//! Every string the popup shows, by its key in `_locales/*/messages.json`.
//! A native test checks that each key exists in every locale.

use crate::platform::i18n;

macro_rules! texts {
    ($($variant:ident => $key:literal,)*) => {
        /// A message of `_locales/*/messages.json`.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Text {
            $($variant,)*
        }

        impl Text {
            pub const ALL: &'static [Text] = &[$(Text::$variant,)*];

            pub fn key(self) -> &'static str {
                match self {
                    $(Text::$variant => $key,)*
                }
            }
        }
    };
}

texts! {
    AppTitle => "appTitle",
    LoginTitle => "loginTitle",
    FieldUser => "fieldUser",
    FieldPassword => "fieldPassword",
    ShowPassword => "showPassword",
    HidePassword => "hidePassword",
    CapsLockOn => "capsLockOn",
    ImeComposing => "imeComposing",
    LoginButton => "loginButton",
    Advanced => "advanced",
    FieldEndpoint => "fieldEndpoint",
    EndpointHint => "endpointHint",
    EndpointHistory => "endpointHistory",
    HealthChecking => "healthChecking",
    HealthCompanion => "healthCompanion",
    HealthBackendAi => "healthBackendAi",
    HealthNotBackendAi => "healthNotBackendAi",
    HealthUnreachable => "healthUnreachable",
    HealthOffline => "healthOffline",
    HealthInvalid => "healthInvalid",
    HealthNeedsAccess => "healthNeedsAccess",
    InsecureEndpoint => "insecureEndpoint",
    ForgotChange => "forgotChange",
    FieldApiKey => "fieldApiKey",
    FieldSecretKey => "fieldSecretKey",
    ErrorAccessDenied => "errorAccessDenied",
    ErrorMismatch => "errorMismatch",
    ErrorNeedsVerification => "errorNeedsVerification",
    ErrorAccountDisabled => "errorAccountDisabled",
    ErrorPasswordExpired => "errorPasswordExpired",
    ErrorPasswordLoginOff => "errorPasswordLoginOff",
    ErrorAlreadyLoggedIn => "errorAlreadyLoggedIn",
    ErrorBadRequest => "errorBadRequest",
    ErrorBadGateway => "errorBadGateway",
    ErrorOther => "errorOther",
    ErrorUnreachable => "errorUnreachable",
    ErrorOffline => "errorOffline",
    ErrorRateLimited => "errorRateLimited",
    ErrorRateLimitedNoTime => "errorRateLimitedNoTime",
    ErrorTotpRegistration => "errorTotpRegistration",
    ErrorMissingFields => "errorMissingFields",
    ErrorSessionEnded => "errorSessionEnded",
    OtpTitle => "otpTitle",
    OtpPrompt => "otpPrompt",
    FieldOtp => "fieldOtp",
    OtpButton => "otpButton",
    OtpInvalid => "otpInvalid",
    Back => "back",
    LockedTitle => "lockedTitle",
    LockedText => "lockedText",
    LockedCountdown => "lockedCountdown",
    LockedNoTime => "lockedNoTime",
    LockedReady => "lockedReady",
    ConflictTitle => "conflictTitle",
    ConflictText => "conflictText",
    ConflictPick => "conflictPick",
    ConflictSession => "conflictSession",
    ConflictUnknownClient => "conflictUnknownClient",
    ConflictEnd => "conflictEnd",
    Cancel => "cancel",
    Role => "role",
    SessionEnds => "sessionEnds",
    NotOfferedEnd => "notOfferedEnd",
    NotOfferedExtend => "notOfferedExtend",
    NotOfferedEndOrExtend => "notOfferedEndOrExtend",
    Extend => "extend",
    Extended => "extended",
    ExtendUnsupported => "extendUnsupported",
    Logout => "logout",
    ServerTitle => "serverTitle",
    Cpu => "cpu",
    Memory => "memory",
    Disk => "disk",
    TwoFactorOn => "twoFactorOn",
    TwoFactorOff => "twoFactorOff",
    PreviousLogin => "previousLogin",
    FirstLogin => "firstLogin",
    LiveSessions => "liveSessions",
    AccessKey => "accessKey",
    Busy => "busy",
    OtpMissing => "otpMissing",
    OtpFreshCode => "otpFreshCode",
    ImeComposingCode => "imeComposingCode",
    LoggedInAs => "loggedInAs",
    OfTotal => "ofTotal",
    CpuUsage => "cpuUsage",
    BadgeLoggedOut => "badgeLoggedOut",
    BadgeKeypair => "badgeKeypair",
    BadgeLoggedIn => "badgeLoggedIn",
    BadgeRemaining => "badgeRemaining",
    NoticeEndedTitle => "noticeEndedTitle",
    NoticeEndedElsewhere => "noticeEndedElsewhere",
    NoticeExpiryTitle => "noticeExpiryTitle",
    NoticeExpiry => "noticeExpiry",
    NoticeExpired => "noticeExpired",
    AccountCreated => "accountCreated",
    Agreement => "agreement",
    ApiModeHint => "apiModeHint",
    BackToLogin => "backToLogin",
    ChecklistLabel => "checklistLabel",
    CopiedSecret => "copiedSecret",
    Copied => "copied",
    CopyAll => "copyAll",
    CopyEnvironment => "copyEnvironment",
    CopyFailed => "copyFailed",
    Copy => "copy",
    Download => "download",
    ErrorAgreement => "errorAgreement",
    ErrorClockSkew => "errorClockSkew",
    ErrorEmailMissing => "errorEmailMissing",
    ErrorEmailTaken => "errorEmailTaken",
    ErrorFieldInvalid => "errorFieldInvalid",
    ErrorFormIncomplete => "errorFormIncomplete",
    ErrorInvitationInvalid => "errorInvitationInvalid",
    ErrorInvitationRequired => "errorInvitationRequired",
    ErrorKeypairMismatch => "errorKeypairMismatch",
    ErrorMissingKeys => "errorMissingKeys",
    ErrorNotOffered => "errorNotOffered",
    ErrorPasswordPolicy => "errorPasswordPolicy",
    ErrorProofMissing => "errorProofMissing",
    ErrorReauthFailed => "errorReauthFailed",
    ErrorSetupExpired => "errorSetupExpired",
    ErrorSignupClosed => "errorSignupClosed",
    ErrorUsernameTaken => "errorUsernameTaken",
    FieldConfirmPassword => "fieldConfirmPassword",
    FieldEmail => "fieldEmail",
    FieldInvitation => "fieldInvitation",
    FieldNewPassword => "fieldNewPassword",
    FieldUsernameOptional => "fieldUsernameOptional",
    ForgotLink => "forgotLink",
    ForgotText => "forgotText",
    ForgotTitle => "forgotTitle",
    InvitationHint => "invitationHint",
    KeypairText => "keypairText",
    KeypairTitle => "keypairTitle",
    MailSentHint => "mailSentHint",
    MailSentTitle => "mailSentTitle",
    ModeApi => "modeApi",
    ModeLabel => "modeLabel",
    ModeSession => "modeSession",
    Or => "or",
    OtpAfterSetup => "otpAfterSetup",
    PasswordMailSent => "passwordMailSent",
    PrivacyPolicy => "privacyPolicy",
    RecoveryCodesSaved => "recoveryCodesSaved",
    RecoveryCodesText => "recoveryCodesText",
    Resend => "resend",
    RuleConfirmMatches => "ruleConfirmMatches",
    RuleDigit => "ruleDigit",
    RuleFailed => "ruleFailed",
    RuleLetter => "ruleLetter",
    RuleMaxBytes => "ruleMaxBytes",
    RuleMinLength => "ruleMinLength",
    RuleNoControl => "ruleNoControl",
    RuleNotCommon => "ruleNotCommon",
    RuleNotIdentity => "ruleNotIdentity",
    RulePassed => "rulePassed",
    RuleServerChecks => "ruleServerChecks",
    RuleSpecial => "ruleSpecial",
    SendLink => "sendLink",
    SignupButton => "signupButton",
    SignupLink => "signupLink",
    SignupTitle => "signupTitle",
    TermsOfService => "termsOfService",
    TotpConfirmButton => "totpConfirmButton",
    TotpConfirmLabel => "totpConfirmLabel",
    TotpKeyLabel => "totpKeyLabel",
    TotpOffButton => "totpOffButton",
    TotpOffNotice => "totpOffNotice",
    TotpOffText => "totpOffText",
    TotpOffTitle => "totpOffTitle",
    TotpOnNotice => "totpOnNotice",
    TotpQrLabel => "totpQrLabel",
    TotpRequiredText => "totpRequiredText",
    TotpScanText => "totpScanText",
    TotpSetupFirstTitle => "totpSetupFirstTitle",
    TotpSetupTitle => "totpSetupTitle",
    TotpTurnOff => "totpTurnOff",
    TotpTurnOn => "totpTurnOn",
    UsernameHint => "usernameHint",
    VerificationResent => "verificationResent",
    VerificationSent => "verificationSent",
    OptionsTitle => "optionsTitle",
    OpenOptions => "openOptions",
    OptionsLanguage => "optionsLanguage",
    LanguageBrowser => "languageBrowser",
    LanguageEnglish => "languageEnglish",
    LanguageKorean => "languageKorean",
    LanguageJapanese => "languageJapanese",
    OptionsWarning => "optionsWarning",
    OptionsWarningLabel => "optionsWarningLabel",
    OptionsWarningHint => "optionsWarningHint",
    OptionsProfiles => "optionsProfiles",
    OptionsProfilesEmpty => "optionsProfilesEmpty",
    OptionsSave => "optionsSave",
    OptionsRemove => "optionsRemove",
    OptionsSaved => "optionsSaved",
    OptionsRemoved => "optionsRemoved",
    OptionsWebui => "optionsWebui",
    OptionsWebuiHint => "optionsWebuiHint",
    OptionsWebuiEmpty => "optionsWebuiEmpty",
    FieldWebuiAddress => "fieldWebuiAddress",
    OptionsAdd => "optionsAdd",
    OptionsShortcut => "optionsShortcut",
    OptionsShortcutCurrent => "optionsShortcutCurrent",
    OptionsShortcutNone => "optionsShortcutNone",
    OptionsShortcutPage => "optionsShortcutPage",
    OptionsShortcutChange => "optionsShortcutChange",
    OptionsStored => "optionsStored",
    OptionsStoredHint => "optionsStoredHint",
    OptionsStoredEmpty => "optionsStoredEmpty",
    StoredEndpoint => "storedEndpoint",
    StoredProfiles => "storedProfiles",
    StoredLanguage => "storedLanguage",
    StoredWarn => "storedWarn",
    StoredWebui => "storedWebui",
    StoredSidebar => "storedSidebar",
    StoredSession => "storedSession",
    StoredKeypair => "storedKeypair",
    StoredTimer => "storedTimer",
    StoredOther => "storedOther",
    OptionsClear => "optionsClear",
    OptionsClearConfirm => "optionsClearConfirm",
    OptionsCleared => "optionsCleared",
    SidebarToggle => "sidebarToggle",
    SidebarNarrow => "sidebarNarrow",
    SidebarWide => "sidebarWide",
    SsoLogin => "ssoLogin",
    SsoAccessDenied => "ssoAccessDenied",
    SsoInvalidSession => "ssoInvalidSession",
    SsoNotAuthenticated => "ssoNotAuthenticated",
    SsoProviderUnavailable => "ssoProviderUnavailable",
    SsoEmailNotVerified => "ssoEmailNotVerified",
    SsoAccountNotFound => "ssoAccountNotFound",
    SsoOther => "ssoOther",
    SsoTokenInvalid => "ssoTokenInvalid",
    SsoWindowClosed => "ssoWindowClosed",
    SsoBusy => "ssoBusy",
    SsoNotStarted => "ssoNotStarted",
    SsoOpening => "ssoOpening",
    SsoContinue => "ssoContinue",
    StoredSsoReport => "storedSsoReport",
}

/// The message in the browser's language.
pub fn t(text: Text) -> String {
    i18n::message(text.key(), &[])
}

/// The message with `$1`, `$2`… filled.
pub fn tf(text: Text, values: &[&str]) -> String {
    i18n::message(text.key(), values)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    fn keys_of(locale: &str) -> BTreeSet<String> {
        let path = format!(
            "{}/_locales/{locale}/messages.json",
            env!("CARGO_MANIFEST_DIR")
        );
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        let json: serde_json::Value =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"));
        let object = json.as_object().unwrap();
        for (key, entry) in object {
            let message = entry["message"]
                .as_str()
                .unwrap_or_else(|| panic!("{locale}/{key} has no message"));
            assert!(!message.trim().is_empty(), "{locale}/{key} is empty");
            // Every $n used is declared, in every locale alike.
            if message.contains('$') {
                assert!(
                    entry.get("placeholders").is_some() || message.contains("$1"),
                    "{locale}/{key}"
                );
            }
        }
        object.keys().cloned().collect()
    }

    #[test]
    fn every_key_is_in_every_locale() {
        let en = keys_of("en");
        for locale in ["ko", "ja"] {
            assert_eq!(keys_of(locale), en, "{locale} differs from en");
        }
        for text in Text::ALL {
            assert!(
                en.contains(text.key()),
                "{} is missing from the locales",
                text.key()
            );
        }
        // Keys outside the enum: the manifest's and popup.js's.
        let outside = [
            "extName",
            "extDescription",
            "startFailed",
            "commandToggleSidebar",
        ];
        for key in outside {
            assert!(en.contains(key));
        }
        let used: BTreeSet<&str> = Text::ALL.iter().map(|t| t.key()).chain(outside).collect();
        let unused: Vec<&String> = en.iter().filter(|k| !used.contains(k.as_str())).collect();
        assert!(unused.is_empty(), "messages nothing shows: {unused:?}");
    }

    /// The controls the Backend.AI manual names ("click the **Sign up**
    /// link", "the **Login** button", "the **Advanced** link … the **API
    /// Endpoint** field", "**Forgot password?** … the **Change** link",
    /// "**Session** mode and **API** mode", "your **API Key** and **Secret
    /// Key**", "the **Log Out** menu"), in its words and the WebUI's own
    /// translations (`resources/i18n/{en,ko,ja}.json` of the WebUI 26.4),
    /// so a person following the manual finds them.
    #[test]
    fn the_controls_the_manual_names_carry_its_words() {
        let words: [(Text, [&str; 3]); 12] = [
            (Text::SignupLink, ["Sign up", "가입하기", "サインアップ"]),
            (Text::SignupButton, ["Sign up", "가입", "サインアップ"]),
            (Text::LoginButton, ["Login", "로그인", "ログイン"]),
            (Text::Advanced, ["Advanced", "고급 설정", "詳細設定"]),
            (
                Text::FieldEndpoint,
                ["API Endpoint", "API 엔드포인트", "APIエンドポイント"],
            ),
            (
                Text::ForgotLink,
                [
                    "Forgot password?",
                    "비밀번호를 잊어버렸습니까?",
                    "パスワードをお忘れですか？",
                ],
            ),
            (
                Text::ForgotChange,
                ["Change", "비밀번호 재설정", "パスワードを変更する"],
            ),
            (Text::ModeSession, ["Session", "세션", "セッション"]),
            (Text::ModeApi, ["API", "API", "API"]),
            (Text::FieldApiKey, ["API Key", "액세스 키", "APIキー"]),
            (
                Text::FieldSecretKey,
                ["Secret Key", "비밀 키", "シークレットキー"],
            ),
            (Text::Logout, ["Log Out", "로그아웃", "ログアウト"]),
        ];
        for (index, locale) in ["en", "ko", "ja"].into_iter().enumerate() {
            let path = format!(
                "{}/_locales/{locale}/messages.json",
                env!("CARGO_MANIFEST_DIR")
            );
            let messages: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
            for (text, expected) in &words {
                assert_eq!(
                    messages[text.key()]["message"].as_str(),
                    Some(expected[index]),
                    "{locale}/{}",
                    text.key()
                );
            }
        }
    }

    #[test]
    fn keys_are_unique() {
        let keys: BTreeSet<&str> = Text::ALL.iter().map(|t| t.key()).collect();
        assert_eq!(keys.len(), Text::ALL.len());
    }

    #[test]
    fn placeholders_match_across_locales() {
        let load = |locale: &str| -> serde_json::Value {
            let path = format!(
                "{}/_locales/{locale}/messages.json",
                env!("CARGO_MANIFEST_DIR")
            );
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
        };
        let en = load("en");
        for locale in ["ko", "ja"] {
            let other = load(locale);
            for (key, entry) in en.as_object().unwrap() {
                let count = |m: &str| (1..=4).filter(|n| m.contains(&format!("${n}"))).count();
                let ours = count(entry["message"].as_str().unwrap());
                let theirs = count(other[key]["message"].as_str().unwrap());
                assert_eq!(ours, theirs, "{locale}/{key}: placeholders differ");
            }
        }
    }
}
