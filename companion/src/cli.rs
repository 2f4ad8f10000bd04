//! The `baigate` command line.

use std::io::{BufRead, Write};
use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::clock::rfc3339;
use crate::config::Overrides;
use crate::domain::Domain;
use crate::domain::accounts::{AccountError, NewAccount};
use crate::model::{ClientInfo, Role, User};

#[derive(Debug, Parser)]
#[command(
    name = "baigate",
    version,
    about = "A Backend.AI-compatible login companion: accounts, passwords, sessions.",
    after_help = "Configuration: built-in defaults, then the TOML file (--config or \
                  BAIGATE_CONFIG), then BAIGATE_* environment variables (BAIGATE_PASSWORD__BCRYPT_COST), \
                  then these flags."
)]
pub struct Cli {
    /// TOML configuration file.
    #[arg(long, global = true, env = "BAIGATE_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Directory holding the database and keys (default: ~/.local/share/baigate).
    #[arg(long, global = true, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Answer requests (default address 127.0.0.1:8090).
    Serve(ServeArgs),
    /// Manage accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage invitations to sign up.
    #[command(subcommand)]
    Invite(InviteCommand),
    /// Send a test message to check the mail settings.
    SendTestEmail(SendTestEmailArgs),
    /// Manage API keypairs.
    #[command(subcommand)]
    Keypair(KeypairCommand),
    /// Move data between databases.
    #[command(subcommand)]
    Db(DbCommand),
}

#[derive(Debug, Subcommand)]
pub enum DbCommand {
    /// Copy this data directory's SQLite database into an empty PostgreSQL
    /// database (for several companions; see README "Running several
    /// companions"). Every companion then needs this data directory's
    /// secret.key.
    Copy {
        /// The PostgreSQL database: postgres://user:password@host/database.
        #[arg(long, value_name = "URL")]
        to: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum KeypairCommand {
    /// Give an account a new access and secret key; the old ones stop working.
    Rotate {
        /// The account's email or username.
        user: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum InviteCommand {
    /// Create an invitation; prints its token and a signup link.
    Create(InviteCreateArgs),
    /// List invitations.
    List,
    /// Revoke an invitation by its id (from `invite list`).
    Revoke { id: i64 },
}

#[derive(Debug, Args)]
pub struct InviteCreateArgs {
    /// How many accounts it may open.
    #[arg(long, default_value_t = 1)]
    pub uses: i64,
    /// How long it works, e.g. `7d`, `12h`.
    #[arg(long, default_value = "7d", value_parser = humantime::parse_duration)]
    pub expires: std::time::Duration,
    /// Only this email address may use it.
    #[arg(long)]
    pub email: Option<String>,
}

#[derive(Debug, Args)]
pub struct SendTestEmailArgs {
    #[arg(long)]
    pub to: String,
}

#[derive(Debug, Args)]
pub struct ResetPasswordArgs {
    /// The account's email or username.
    pub user: String,
    /// Also print the reset link (for handing it over yourself).
    #[arg(long)]
    pub print_link: bool,
    /// Language of the mail: en, ko or ja.
    #[arg(long, default_value = "en")]
    pub lang: String,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address and port to listen on.
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<SocketAddr>,
    /// The URL clients use to reach this server (default: http://<listen>).
    #[arg(long, value_name = "URL")]
    pub public_url: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create an account; prints its access key and, once, its secret key.
    Add(UserAddArgs),
    /// List accounts.
    List(UserListArgs),
    /// Make the account's password stop working, end its sessions and mail
    /// it a link to choose a new one.
    ResetPassword(ResetPasswordArgs),
    /// Turn off an account's two-factor authentication and end its sessions
    /// (a lost phone); it sets 2FA up again at its next login if required.
    #[command(name = "reset-2fa")]
    Reset2fa {
        /// The account's email or username.
        user: String,
    },
    /// Lift a login lock (or a turned-off password login) from an account.
    Unlock {
        /// The account's email or username.
        user: String,
    },
}

#[derive(Debug, Args)]
pub struct UserAddArgs {
    #[arg(long)]
    pub email: String,
    /// Login name besides the email (default: the email itself).
    #[arg(long)]
    pub username: Option<String>,
    #[arg(long, value_enum, default_value_t = RoleArg::User)]
    pub role: RoleArg,
    /// Read the password from the first line of standard input. Without it,
    /// the password is asked for on the terminal. It is never an argument,
    /// where other users of the machine could see it.
    #[arg(long)]
    pub password_stdin: bool,
}

#[derive(Debug, Args)]
pub struct UserListArgs {
    /// One JSON object per account instead of a table.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum RoleArg {
    User,
    Admin,
}

impl From<RoleArg> for Role {
    fn from(role: RoleArg) -> Self {
        match role {
            RoleArg::User => Role::User,
            RoleArg::Admin => Role::Admin,
        }
    }
}

impl Cli {
    /// The configuration values this invocation's flags set.
    pub fn overrides(&self) -> Overrides {
        let mut overrides = Overrides {
            data_dir: self.data_dir.clone(),
            ..Overrides::default()
        };
        if let Command::Serve(serve) = &self.command {
            overrides.listen = serve.listen;
            overrides.public_url = serve.public_url.clone();
        }
        overrides
    }
}

/// A command's failure, as the user should read it.
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    #[error("{0}")]
    Invitation(#[from] crate::domain::invitations::InvitationError),
    #[error("{0}")]
    Reset(#[from] crate::domain::recovery::AdminResetError),
    #[error("the test message was not sent: {0}")]
    Mail(#[from] crate::mail::MailError),
    #[error("no invitation {0} to revoke (see `baigate invite list`)")]
    NoSuchInvitation(i64),
    #[error("--lang must be en, ko or ja")]
    Lang,
    #[error("no account has the login name {0:?}")]
    NoSuchUser(String),
    #[error("{0}")]
    Account(#[from] AccountError),
    #[error("{0}")]
    Domain(#[from] crate::domain::DomainError),
    #[error("reading the password from standard input: {0}")]
    Stdin(std::io::Error),
    #[error(
        "no password on standard input (pipe it in, e.g. `printf '%s\\n' \"$PW\" | baigate user add ...`)"
    )]
    EmptyPassword,
    #[error("standard input is not a terminal: pass --password-stdin to read the password from it")]
    NoTerminal,
    #[error("the two passwords differ")]
    PasswordsDiffer,
    #[error("writing the output: {0}")]
    Output(std::io::Error),
}

/// Reads the first line of stdin, without its line ending.
fn read_password(input: &mut impl BufRead) -> Result<String, CommandError> {
    let mut line = String::new();
    input.read_line(&mut line).map_err(CommandError::Stdin)?;
    let password = line
        .strip_suffix('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .unwrap_or(&line)
        .to_owned();
    if password.is_empty() {
        return Err(CommandError::EmptyPassword);
    }
    Ok(password)
}

/// The password for `user add`: from standard input with `--password-stdin`,
/// else asked twice on the terminal without echo.
pub fn new_password(args: &UserAddArgs) -> Result<String, CommandError> {
    let stdin = std::io::stdin();
    if args.password_stdin {
        return read_password(&mut stdin.lock());
    }
    if !std::io::IsTerminal::is_terminal(&stdin) {
        return Err(CommandError::NoTerminal);
    }
    let first = rpassword::prompt_password(format!("Password for {}: ", args.email))
        .map_err(CommandError::Stdin)?;
    if first.is_empty() {
        return Err(CommandError::EmptyPassword);
    }
    let second = rpassword::prompt_password("Repeat it: ").map_err(CommandError::Stdin)?;
    if first != second {
        return Err(CommandError::PasswordsDiffer);
    }
    Ok(first)
}

/// `baigate user add`
pub async fn user_add(
    domain: &Domain,
    args: &UserAddArgs,
    password: String,
    out: &mut impl Write,
) -> Result<(), CommandError> {
    let created = domain
        .create_account(
            NewAccount {
                email: args.email.clone(),
                username: args.username.clone(),
                role: args.role.into(),
                password,
            },
            ClientInfo::command_line(),
        )
        .await?;
    let user = &created.user;
    writeln!(
        out,
        "Created {role} {email} (username {username}).\n\
         access key: {access}\n\
         secret key: {secret}\n\
         The secret key is shown only now; keep it somewhere safe.",
        role = user.role,
        email = user.email,
        username = user.username,
        access = user.access_key,
        secret = created.secret_key,
    )
    .map_err(CommandError::Output)
}

/// `baigate db copy`: prints what was copied.
pub fn write_copy_report(
    report: &crate::store::CopyReport,
    key_file: &std::path::Path,
    out: &mut impl Write,
) -> Result<(), CommandError> {
    let total: u64 = report.tables.iter().map(|(_, rows)| rows).sum();
    let mut text = format!("Copied {total} rows:\n");
    for (table, rows) in &report.tables {
        text.push_str(&format!("  {table:<20} {rows}\n"));
    }
    text.push_str(&format!(
        "Give every companion on that database the secret key {} \
         (the stored secrets are sealed with it), and set store.url.\n",
        key_file.display()
    ));
    out.write_all(text.as_bytes()).map_err(CommandError::Output)
}

/// `baigate user list`
pub async fn user_list(
    domain: &Domain,
    args: &UserListArgs,
    out: &mut impl Write,
) -> Result<(), CommandError> {
    let users = domain.list_accounts().await?;
    let written = if args.json {
        users
            .iter()
            .try_for_each(|user| writeln!(out, "{}", user_json(user)))
    } else {
        write_users(&users, out)
    };
    written.map_err(CommandError::Output)
}

/// `baigate invite create`
pub async fn invite_create(
    domain: &Domain,
    args: &InviteCreateArgs,
    out: &mut impl Write,
) -> Result<(), CommandError> {
    let lifetime = i64::try_from(args.expires.as_secs()).unwrap_or(i64::MAX);
    let issued = domain
        .create_invitation(args.uses, lifetime, args.email.as_deref())
        .await?;
    let invitation = &issued.invitation;
    writeln!(
        out,
        "Invitation {id}: {uses} use(s), until {until}{bound}.\n\
         token: {token}\n\
         signup link: {link}\n\
         The token is shown only now.",
        id = invitation.id,
        uses = invitation.uses_total,
        until = rfc3339(invitation.expires_at),
        bound = invitation
            .email
            .as_deref()
            .map(|e| format!(", only for {e}"))
            .unwrap_or_default(),
        token = issued.token,
        link = issued.signup_link,
    )
    .map_err(CommandError::Output)?;
    if domain.signup_policy().mode == crate::config::SignupMode::Closed {
        writeln!(
            out,
            "Note: signup.mode is `closed`, so no invitation can be used until it is `invite` or `open`."
        )
        .map_err(CommandError::Output)?;
    }
    Ok(())
}

/// `baigate invite list`
pub async fn invite_list(domain: &Domain, out: &mut impl Write) -> Result<(), CommandError> {
    let invitations = domain.list_invitations().await?;
    let now = domain.now();
    if invitations.is_empty() {
        return writeln!(
            out,
            "No invitations. Create one with `baigate invite create`."
        )
        .map_err(CommandError::Output);
    }
    let rows: Vec<[String; 5]> = invitations
        .iter()
        .map(|i| {
            let state = if i.revoked_at.is_some() {
                "revoked"
            } else if i.uses_left == 0 {
                "used up"
            } else if i.expires_at <= now {
                "expired"
            } else {
                "usable"
            };
            [
                i.id.to_string(),
                state.to_owned(),
                format!("{}/{}", i.uses_total - i.uses_left, i.uses_total),
                rfc3339(i.expires_at),
                i.email.clone().unwrap_or_else(|| "anyone".to_owned()),
            ]
        })
        .collect();
    write_table(&["ID", "STATE", "USED", "EXPIRES", "FOR"], &rows, out)
        .map_err(CommandError::Output)
}

/// `baigate invite revoke`
pub async fn invite_revoke(
    domain: &Domain,
    id: i64,
    out: &mut impl Write,
) -> Result<(), CommandError> {
    if !domain.revoke_invitation(id).await? {
        return Err(CommandError::NoSuchInvitation(id));
    }
    writeln!(out, "Invitation {id} revoked.").map_err(CommandError::Output)
}

/// `baigate user reset-password`
pub async fn user_reset_password(
    domain: &Domain,
    args: &ResetPasswordArgs,
    out: &mut impl Write,
) -> Result<(), CommandError> {
    let lang = crate::i18n::Lang::from_tag(&args.lang).ok_or(CommandError::Lang)?;
    let reset = domain
        .admin_reset_password(&args.user, ClientInfo::command_line(), lang)
        .await?;
    writeln!(
        out,
        "The password of {} no longer works and its sessions have ended.",
        reset.user.email
    )
    .map_err(CommandError::Output)?;
    let delivered = match &reset.delivery {
        Ok(crate::mail::Delivery::Sent) => {
            format!("A reset link was mailed to {}.", reset.user.email)
        }
        Ok(crate::mail::Delivery::Outbox(path)) => {
            format!(
                "No mail server is set: the message is in {}.",
                path.display()
            )
        }
        Err(e) => format!("The reset mail could not be sent ({e}); hand over the link yourself."),
    };
    writeln!(out, "{delivered}").map_err(CommandError::Output)?;
    if args.print_link || reset.delivery.is_err() {
        writeln!(
            out,
            "reset link (works once, for {} minutes): {}",
            crate::domain::recovery::RESET_LIFETIME / 60,
            reset.link
        )
        .map_err(CommandError::Output)?;
    }
    Ok(())
}

/// `baigate user reset-2fa`
pub async fn user_reset_2fa(
    domain: &Domain,
    user: &str,
    out: &mut impl Write,
) -> Result<(), CommandError> {
    let account = domain
        .admin_reset_totp(user, ClientInfo::command_line())
        .await?
        .ok_or_else(|| CommandError::NoSuchUser(user.to_owned()))?;
    writeln!(
        out,
        "Two-factor authentication of {} is off, its recovery codes are gone and its sessions have ended.",
        account.email
    )
    .map_err(CommandError::Output)
}

/// `baigate user unlock`
pub async fn user_unlock(
    domain: &Domain,
    user: &str,
    out: &mut impl Write,
) -> Result<(), CommandError> {
    let (account, was_locked) = domain
        .unlock(user, ClientInfo::command_line())
        .await?
        .ok_or_else(|| CommandError::NoSuchUser(user.to_owned()))?;
    let message = if was_locked {
        format!("Unlocked {}: it can log in again.", account.email)
    } else {
        format!(
            "{} was not locked; its failure count is cleared.",
            account.email
        )
    };
    writeln!(out, "{message}").map_err(CommandError::Output)
}

/// `baigate keypair rotate`
pub async fn keypair_rotate(
    domain: &Domain,
    user: &str,
    out: &mut impl Write,
) -> Result<(), CommandError> {
    let account = domain
        .find_account(user)
        .await?
        .ok_or_else(|| CommandError::NoSuchUser(user.to_owned()))?;
    let (account, secret) = domain
        .rotate_keypair(&account, ClientInfo::command_line())
        .await?;
    writeln!(
        out,
        "New keypair for {email}; the old one no longer works.\n\
         access key: {access}\n\
         secret key: {secret}\n\
         The secret key is shown only now; keep it somewhere safe.",
        email = account.email,
        access = account.access_key,
    )
    .map_err(CommandError::Output)
}

/// `baigate send-test-email`
pub async fn send_test_email(
    domain: &Domain,
    args: &SendTestEmailArgs,
    out: &mut impl Write,
) -> Result<(), CommandError> {
    let delivery = domain
        .mailer()
        .send(
            &args.to,
            &crate::mail::templates::Template::Test,
            crate::i18n::Lang::En,
        )
        .await?;
    match delivery {
        crate::mail::Delivery::Sent => writeln!(
            out,
            "Sent to {} through {}.",
            args.to,
            domain.mailer().describe()
        ),
        crate::mail::Delivery::Outbox(path) => writeln!(
            out,
            "No mail server is set (mail.smtp_url): the message was written to {}.",
            path.display()
        ),
    }
    .map_err(CommandError::Output)
}

fn user_json(user: &User) -> serde_json::Value {
    serde_json::json!({
        "uuid": user.uuid,
        "email": user.email,
        "username": user.username,
        "role": user.role.as_str(),
        "status": user.status.as_str(),
        "access_key": user.access_key,
        "created_at": rfc3339(user.created_at),
        "last_login_at": user.last_login_at.map(rfc3339),
    })
}

fn write_users(users: &[User], out: &mut impl Write) -> std::io::Result<()> {
    if users.is_empty() {
        return writeln!(out, "No accounts yet. Create one with `baigate user add`.");
    }
    let rows: Vec<[String; 6]> = users
        .iter()
        .map(|u| {
            [
                u.email.clone(),
                u.username.clone(),
                u.role.to_string(),
                u.status.to_string(),
                u.access_key.clone(),
                u.last_login_at.map_or_else(|| "never".to_owned(), rfc3339),
            ]
        })
        .collect();
    write_table(
        &[
            "EMAIL",
            "USERNAME",
            "ROLE",
            "STATUS",
            "ACCESS KEY",
            "LAST LOGIN",
        ],
        &rows,
        out,
    )
}

/// Left-aligned columns, two spaces apart.
fn write_table<const N: usize>(
    header: &[&str; N],
    rows: &[[String; N]],
    out: &mut impl Write,
) -> std::io::Result<()> {
    let mut widths = header.map(|h| h.chars().count());
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let line = |cells: &[&str]| -> String {
        cells
            .iter()
            .zip(widths)
            .map(|(cell, width)| format!("{cell:<width$}"))
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_owned()
    };
    writeln!(out, "{}", line(header))?;
    for row in rows {
        let cells: Vec<&str> = row.iter().map(String::as_str).collect();
        writeln!(out, "{}", line(&cells))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_line_endings_are_stripped_only() {
        let cases = [
            ("S3cret!pass\n", "S3cret!pass"),
            ("S3cret!pass\r\n", "S3cret!pass"),
            ("S3cret!pass", "S3cret!pass"),
            (" spaced pass 1! \n", " spaced pass 1! "),
        ];
        for (input, expected) in cases {
            let mut reader = input.as_bytes();
            assert_eq!(read_password(&mut reader).unwrap(), expected);
        }
        let mut empty = "\n".as_bytes();
        assert!(matches!(
            read_password(&mut empty),
            Err(CommandError::EmptyPassword)
        ));
    }

    #[test]
    fn cli_parses() {
        let cli = Cli::try_parse_from([
            "baigate",
            "--data-dir",
            "/tmp/x",
            "user",
            "add",
            "--email",
            "a@example.com",
            "--role",
            "admin",
            "--password-stdin",
        ])
        .unwrap();
        assert_eq!(
            cli.overrides().data_dir.as_deref(),
            Some(std::path::Path::new("/tmp/x"))
        );
        assert!(
            matches!(cli.command, Command::User(UserCommand::Add(ref a)) if matches!(a.role, RoleArg::Admin))
        );
        // The password never comes from an argument.
        assert!(
            Cli::try_parse_from([
                "baigate",
                "user",
                "add",
                "--email",
                "a@example.com",
                "--password",
                "S3cret!pass"
            ])
            .is_err()
        );
        let cli = Cli::try_parse_from(["baigate", "serve", "--listen", "127.0.0.1:0"]).unwrap();
        assert_eq!(cli.overrides().listen, Some("127.0.0.1:0".parse().unwrap()));
    }
}
