//! Every message text of the emulator, in English and in Chinese, in one place.
//!
//! The vendor documents the English pattern of each `SDK.COMMON.*` code (for example
//! `Parameter {0} cannot be left blank.`) but prints only one Chinese sample; the Chinese
//! texts here are our own translations of the same patterns. Messages that name a parameter
//! keep the parameter's wire name (`X-client-id`, `verify_code`) in both languages, as the
//! vendor's example does.
//!
//! Language choice (inferred): an `X-L` header whose value starts with `zh`, in any case
//! (`zh`, `ZH`, `zh-CN`), selects Chinese; any other value, or no header, selects English.

use crate::error::{ConfigProblem, EmulatorError};
use crate::policy::PolicyViolation;

/// The language of a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Lang {
    /// English (the default).
    En,
    /// Simplified Chinese.
    Zh,
}

impl Lang {
    /// The language asked for by an `X-L` header value (see the module documentation).
    pub(crate) fn from_header(value: Option<&[u8]>) -> Self {
        match value.map(<[u8]>::trim_ascii).and_then(|v| v.get(..2)) {
            Some(prefix) if prefix.eq_ignore_ascii_case(b"zh") => Self::Zh,
            _ => Self::En,
        }
    }
}

/// A message of the `/api/v2/sdk` API, before it is rendered in a language.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Msg {
    /// `SDK.COMMON.1001`: a parameter is missing or blank.
    Blank(&'static str),
    /// `SDK.COMMON.1002` without a reason: a parameter cannot be parsed.
    BadFormat(&'static str),
    /// `SDK.COMMON.1002`: the request body is larger than the limit (bytes).
    BodyTooLarge(usize),
    /// `SDK.COMMON.1002`: the new password breaks a rule of the policy.
    BadPassword(PolicyViolation),
    /// `SDK.COMMON.1005`: a token or code has expired (or was used up).
    Expired(&'static str),
    /// `SDK.COMMON.1006`: a parameter has a value the service does not accept.
    ParamError(&'static str),
    /// `SDK.COMMON.1007`: a parameter has the wrong JSON type.
    WrongType(&'static str),
    /// `SDK.COMMON.1012`: the client id is not registered.
    InvalidClientId,
    /// `SDK.COMMON.1013`: the user of the state token no longer exists.
    UserNotFound,
    /// `SDK.SMS.1006`: the e-mail verification code is wrong.
    WrongEmailCode,
    /// `SDK.SMS.1005`: the SMS verification code is wrong.
    WrongSmsCode,
    /// `LOGIN.0002`: wrong user name or password, with the attempts left before the lock
    /// (OneAccess's example text).
    LoginFailed {
        /// Failed logins still allowed before the account is locked.
        remaining: u32,
    },
    /// `SDK.LOGIN.1003`: the account is locked, with the time until it unlocks.
    AccountLocked {
        /// Whole minutes left.
        minutes: i64,
        /// Seconds left beyond the minutes.
        seconds: i64,
    },
    /// `SDK.COMMON.1006` for a skip on an expired password.
    MustChangeExpired,
    /// `CAPTCHA.0002`: the slider was put at the wrong place.
    CaptchaWrong,
    /// `CAPTCHA.0003`: the captcha token has expired.
    CaptchaExpired,
    /// `CAPTCHA.0004`: the captcha token (or captcha) is unknown or used.
    CaptchaInvalid,
    /// `SDK.COMMON.1008`: the service failed.
    SystemBusy,
}

/// A parameter name as shown in a message: wire names stay as they are in both languages,
/// the one descriptive name (`request body`) is translated.
fn param(name: &str, lang: Lang) -> &str {
    match (name, lang) {
        ("request body", Lang::Zh) => "请求体",
        _ => name,
    }
}

/// The reason part of a password-policy message.
fn policy_reason(v: &PolicyViolation, lang: Lang) -> String {
    match (v, lang) {
        (PolicyViolation::Length { min, max }, Lang::En) => {
            format!("it must be {min} to {max} characters long.")
        }
        (PolicyViolation::Length { min, max }, Lang::Zh) => {
            format!("长度必须为{min}到{max}个字符。")
        }
        (PolicyViolation::Characters, Lang::En) => {
            "it must not contain spaces or control characters.".to_owned()
        }
        (PolicyViolation::Characters, Lang::Zh) => "不能包含空格或控制字符。".to_owned(),
        (PolicyViolation::Classes { min }, Lang::En) => format!(
            "it must contain at least {min} of the following: digits, upper-case letters, \
             lower-case letters, special characters."
        ),
        (PolicyViolation::Classes { min }, Lang::Zh) => {
            format!("必须至少包含数字、大写字母、小写字母、特殊字符中的{min}种。")
        }
        (PolicyViolation::SameAsCurrent, Lang::En) => {
            "it must differ from the current password.".to_owned()
        }
        (PolicyViolation::SameAsCurrent, Lang::Zh) => "不能与当前密码相同。".to_owned(),
        (PolicyViolation::Reused { count }, Lang::En) => {
            format!("it must differ from the {count} previous passwords.")
        }
        (PolicyViolation::Reused { count }, Lang::Zh) => {
            format!("不能与前{count}次使用过的密码相同。")
        }
    }
}

impl Msg {
    /// The message in `lang`.
    pub(crate) fn text(&self, lang: Lang) -> String {
        match (self, lang) {
            (Self::Blank(p), Lang::En) => {
                format!("Parameter {} cannot be left blank.", param(p, lang))
            }
            (Self::Blank(p), Lang::Zh) => format!("参数{}不能为空。", param(p, lang)),
            (Self::BadFormat(p), Lang::En) => {
                format!("Parameter {} has a bad format.", param(p, lang))
            }
            (Self::BadFormat(p), Lang::Zh) => format!("参数{}格式错误。", param(p, lang)),
            (Self::BodyTooLarge(limit), Lang::En) => format!(
                "Parameter request body has a bad format: it must not be larger than {limit} bytes."
            ),
            (Self::BodyTooLarge(limit), Lang::Zh) => {
                format!("参数请求体格式错误：不能超过{limit}字节。")
            }
            (Self::BadPassword(v), Lang::En) => format!(
                "Parameter new_password has a bad format: {}",
                policy_reason(v, lang)
            ),
            (Self::BadPassword(v), Lang::Zh) => {
                format!("参数new_password格式错误：{}", policy_reason(v, lang))
            }
            (Self::Expired(p), Lang::En) => format!("{} has expired.", param(p, lang)),
            (Self::Expired(p), Lang::Zh) => format!("{}已过期。", param(p, lang)),
            (Self::ParamError(p), Lang::En) => format!("{} parameter error.", param(p, lang)),
            (Self::ParamError(p), Lang::Zh) => format!("{}参数错误。", param(p, lang)),
            (Self::WrongType(p), Lang::En) => format!("{} has a wrong type.", param(p, lang)),
            (Self::WrongType(p), Lang::Zh) => format!("{}类型错误。", param(p, lang)),
            (Self::InvalidClientId, Lang::En) => "Invalid X-client-id.".to_owned(),
            (Self::InvalidClientId, Lang::Zh) => "X-client-id无效。".to_owned(),
            (Self::UserNotFound, Lang::En) => "The user does not exist.".to_owned(),
            (Self::UserNotFound, Lang::Zh) => "用户不存在。".to_owned(),
            (Self::WrongEmailCode, Lang::En) => {
                "The e-mail verification code is incorrect.".to_owned()
            }
            (Self::WrongEmailCode, Lang::Zh) => "邮箱验证码错误。".to_owned(),
            (Self::WrongSmsCode, Lang::En) => "The SMS verification code is incorrect.".to_owned(),
            (Self::WrongSmsCode, Lang::Zh) => "短信验证码错误。".to_owned(),
            (Self::LoginFailed { remaining }, Lang::En) => {
                format!("Invalid account name or password. Remaining attempts: {remaining}.")
            }
            (Self::LoginFailed { remaining }, Lang::Zh) => {
                format!("账号或密码错误，剩余尝试次数：{remaining}。")
            }
            (Self::AccountLocked { minutes, seconds }, Lang::En) => format!(
                "The account is locked. It will be unlocked in {minutes} minutes {seconds} seconds."
            ),
            (Self::AccountLocked { minutes, seconds }, Lang::Zh) => {
                format!("账号已锁定，将在{minutes}分{seconds}秒后解锁。")
            }
            (Self::MustChangeExpired, Lang::En) => {
                "The password has expired and must be changed.".to_owned()
            }
            (Self::MustChangeExpired, Lang::Zh) => "密码已过期，必须修改。".to_owned(),
            (Self::CaptchaWrong, Lang::En) => "The captcha answer is incorrect.".to_owned(),
            (Self::CaptchaWrong, Lang::Zh) => "图形验证码校验失败。".to_owned(),
            (Self::CaptchaExpired, Lang::En) => "The captcha token has expired.".to_owned(),
            (Self::CaptchaExpired, Lang::Zh) => "图形验证码凭证已过期。".to_owned(),
            (Self::CaptchaInvalid, Lang::En) => "The captcha token is invalid.".to_owned(),
            (Self::CaptchaInvalid, Lang::Zh) => "图形验证码凭证无效。".to_owned(),
            (Self::SystemBusy, Lang::En) => {
                "The system is busy. Please try again later.".to_owned()
            }
            (Self::SystemBusy, Lang::Zh) => "系统繁忙，请稍后再试。".to_owned(),
        }
    }
}

/// The text of an [`EmulatorError`] (library and admin-API errors) in `lang`.
pub(crate) fn emulator_error(e: &EmulatorError, lang: Lang) -> String {
    match (e, lang) {
        (EmulatorError::UserExists { user_name }, Lang::En) => {
            format!("User {user_name} already exists.")
        }
        (EmulatorError::UserExists { user_name }, Lang::Zh) => format!("用户{user_name}已存在。"),
        (EmulatorError::UserNotFound { user_name }, Lang::En) => {
            format!("User {user_name} does not exist.")
        }
        (EmulatorError::UserNotFound { user_name }, Lang::Zh) => format!("用户{user_name}不存在。"),
        (EmulatorError::UnknownClient { client_id }, Lang::En) => {
            format!("Client id {client_id} is not configured in the emulator.")
        }
        (EmulatorError::UnknownClient { client_id }, Lang::Zh) => {
            format!("模拟器未配置客户端ID {client_id}。")
        }
        (EmulatorError::CaptchaNotFound, Lang::En) => {
            "No captcha with this token is waiting to be solved.".to_owned()
        }
        (EmulatorError::CaptchaNotFound, Lang::Zh) => "没有等待校验的此图形验证码。".to_owned(),
        (EmulatorError::InvalidInput { field }, Lang::En) => {
            format!("Field {field} is missing or has a bad format.")
        }
        (EmulatorError::InvalidInput { field }, Lang::Zh) => format!("字段{field}缺失或格式错误。"),
        (EmulatorError::InvalidConfig(p), Lang::En) => format!(
            "Invalid emulator configuration: {}",
            match p {
                ConfigProblem::NoClientIds => "client_ids must not be empty.",
                ConfigProblem::PasswordLength => "the policy needs 1 <= min_len <= max_len.",
                ConfigProblem::PasswordClasses => "the policy's min_classes must be at most 4.",
                ConfigProblem::CodeAttempts => "max_code_attempts must be at least 1.",
                ConfigProblem::LockoutThreshold => "lockout_threshold must be at least 1.",
            }
        ),
        (EmulatorError::InvalidConfig(p), Lang::Zh) => format!(
            "模拟器配置无效：{}",
            match p {
                ConfigProblem::NoClientIds => "client_ids不能为空。",
                ConfigProblem::PasswordLength => "密码策略要求1 <= min_len <= max_len。",
                ConfigProblem::PasswordClasses => "密码策略的min_classes不能大于4。",
                ConfigProblem::CodeAttempts => "max_code_attempts至少为1。",
                ConfigProblem::LockoutThreshold => "lockout_threshold至少为1。",
            }
        ),
        (EmulatorError::Key, Lang::En) => {
            "The RSA signing key could not be created or parsed.".to_owned()
        }
        (EmulatorError::Key, Lang::Zh) => "无法创建或解析RSA签名密钥。".to_owned(),
        (EmulatorError::Random, Lang::En) => {
            "The system random number generator failed.".to_owned()
        }
        (EmulatorError::Random, Lang::Zh) => "系统随机数生成器失败。".to_owned(),
        (EmulatorError::Signing, Lang::En) => "The id_token could not be signed.".to_owned(),
        (EmulatorError::Signing, Lang::Zh) => "无法签名id_token。".to_owned(),
        (EmulatorError::Io(err), Lang::En) => format!("I/O error: {err}"),
        (EmulatorError::Io(err), Lang::Zh) => format!("I/O错误：{err}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn language_from_header() {
        assert_eq!(Lang::from_header(None), Lang::En);
        assert_eq!(Lang::from_header(Some(b"zh")), Lang::Zh);
        assert_eq!(Lang::from_header(Some(b"ZH-cn")), Lang::Zh);
        assert_eq!(Lang::from_header(Some(b" zh")), Lang::Zh);
        assert_eq!(Lang::from_header(Some(b"en")), Lang::En);
        assert_eq!(Lang::from_header(Some(b"z")), Lang::En);
        assert_eq!(Lang::from_header(Some(b"")), Lang::En);
        assert_eq!(Lang::from_header(Some(b"fr")), Lang::En);
    }

    #[test]
    fn vendor_example_text() {
        assert_eq!(
            Msg::Blank("X-client-id").text(Lang::En),
            "Parameter X-client-id cannot be left blank."
        );
        assert_eq!(
            Msg::Blank("X-client-id").text(Lang::Zh),
            "参数X-client-id不能为空。"
        );
        assert_eq!(
            Msg::Blank("request body").text(Lang::Zh),
            "参数请求体不能为空。"
        );
    }
}
