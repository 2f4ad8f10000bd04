//! `baigate`: parse the command line, load the configuration, run.

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use baigate_companion::cli::{
    self, Cli, Command, DbCommand, InviteCommand, KeypairCommand, UserCommand,
};
use baigate_companion::clock::SystemClock;
use baigate_companion::config::Config;
use baigate_companion::{app, logging};
use clap::Parser;

/// Exit status for a configuration error (as for a usage error).
const EXIT_CONFIG: u8 = 2;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = match Config::load(cli.config.as_deref(), &cli.overrides()) {
        Ok(config) => config,
        Err(e) => {
            eprintln!("baigate: {e}");
            return ExitCode::from(EXIT_CONFIG);
        }
    };
    // Account commands print their own results; keep their log to warnings.
    let filter = match cli.command {
        Command::Serve(_) => config.log.filter.clone(),
        _ => "warn".to_owned(),
    };
    logging::init(&filter);
    let outcome = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
        .and_then(|runtime| runtime.block_on(run(cli, config)));
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("baigate: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli, config: Config) -> anyhow::Result<()> {
    let clock = Arc::new(SystemClock);
    match cli.command {
        Command::Serve(_) => {
            let running = app::bind(&config, clock).await?;
            println!(
                "baigate {} listening on {} (data directory {})",
                env!("CARGO_PKG_VERSION"),
                running.public_url,
                config.data_dir.display()
            );
            tracing::info!(addr = %running.local_addr, "ready");
            running.serve(shutdown_signal()).await?;
            tracing::info!("stopped");
        }
        Command::Db(DbCommand::Copy { to }) => {
            let report = app::copy_database(&config, &to).await?;
            cli::write_copy_report(
                &report,
                &config.data_dir.join("secret.key"),
                &mut std::io::stdout().lock(),
            )?;
        }
        command => {
            let domain = app::open_domain_for_cli(&config, clock).await?;
            let mut stdout = std::io::stdout().lock();
            match command {
                Command::Serve(_) | Command::Db(_) => {}
                Command::User(UserCommand::Add(args)) => {
                    let password = cli::new_password(&args)?;
                    cli::user_add(&domain, &args, password, &mut stdout).await?;
                }
                Command::User(UserCommand::List(args)) => {
                    cli::user_list(&domain, &args, &mut stdout).await?;
                }
                Command::User(UserCommand::Reset2fa { user }) => {
                    cli::user_reset_2fa(&domain, &user, &mut stdout).await?;
                }
                Command::User(UserCommand::Unlock { user }) => {
                    cli::user_unlock(&domain, &user, &mut stdout).await?;
                }
                Command::User(UserCommand::ResetPassword(args)) => {
                    cli::user_reset_password(&domain, &args, &mut stdout).await?;
                }
                Command::Invite(InviteCommand::Create(args)) => {
                    cli::invite_create(&domain, &args, &mut stdout).await?;
                }
                Command::Invite(InviteCommand::List) => {
                    cli::invite_list(&domain, &mut stdout).await?
                }
                Command::Invite(InviteCommand::Revoke { id }) => {
                    cli::invite_revoke(&domain, id, &mut stdout).await?;
                }
                Command::Keypair(KeypairCommand::Rotate { user }) => {
                    cli::keypair_rotate(&domain, &user, &mut stdout).await?;
                }
                Command::SendTestEmail(args) => {
                    cli::send_test_email(&domain, &args, &mut stdout).await?;
                }
            }
        }
    }
    Ok(())
}

/// Resolves on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let interrupt = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::warn!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}
