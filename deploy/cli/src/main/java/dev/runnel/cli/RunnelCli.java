package dev.runnel.cli;

import java.io.InputStream;
import java.io.PrintWriter;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

/**
 * {@code runnel-cli}: topics, produce, consume, consumer groups and cluster status over a Runnel node's HTTP API.
 * People get tables, scripts get {@code --json}; the exit code says what happened ({@link #EXIT_OK} and the
 * others). The launcher is {@code deploy/bin/runnel-cli}; the README's "Command-line tool" documents every
 * command. One instance runs one command line.
 */
@Command(name = "runnel-cli", scope = ScopeType.INHERIT, mixinStandardHelpOptions = true,
    versionProvider = RunnelCli.Version.class,
    exitCodeOnInvalidInput = RunnelCli.EXIT_USAGE, exitCodeOnExecutionException = RunnelCli.EXIT_FAILURE,
    description = "Administers a Runnel broker over its HTTP API: topics, records, consumer groups, cluster.",
    subcommands = {TopicsCommand.class, ProduceCommand.class, ConsumeCommand.class, GroupsCommand.class,
        ClusterCommand.class, CommandLine.HelpCommand.class},
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {
        "0:done",
        "1:the broker refused the request (its Kafka error name and message are printed)",
        "2:bad usage: unknown command or option, missing or malformed value, unreadable input",
        "3:the broker cannot be reached at --http",
        "4:an unexpected failure (a bug; the cause is printed)"})
public final class RunnelCli implements Runnable {

  public static final int EXIT_OK = 0;
  public static final int EXIT_BROKER_ERROR = 1;
  public static final int EXIT_USAGE = 2;
  public static final int EXIT_UNREACHABLE = 3;
  public static final int EXIT_FAILURE = 4;

  /** Set by the launcher when stderr is a terminal: progress bars are then drawn without {@code --progress}. */
  static final String STDERR_TERMINAL_PROPERTY = "runnel.cli.stderr-terminal";

  @Option(names = "--http", paramLabel = "URL", defaultValue = "${env:RUNNEL_HTTP:-http://127.0.0.1:8080}",
      converter = HttpUrl.class, scope = ScopeType.INHERIT,
      description = "The broker's HTTP API (default: $RUNNEL_HTTP, else http://127.0.0.1:8080; now ${DEFAULT-VALUE}).")
  URI http;

  @Option(names = "--json", scope = ScopeType.INHERIT,
      description = "Print the broker's JSON instead of tables (for scripts).")
  boolean json;

  @Spec
  CommandSpec spec;

  private final InputStream stdin;
  private final boolean stderrTerminal;

  RunnelCli(InputStream stdin, boolean stderrTerminal) {
    this.stdin = stdin;
    this.stderrTerminal = stderrTerminal;
  }

  public static void main(String[] args) {
    boolean terminal = Boolean.getBoolean(STDERR_TERMINAL_PROPERTY);
    System.exit(commandLine(new RunnelCli(System.in, terminal)).execute(args));
  }

  /** The command line for {@code cli}, with the exit codes above; output goes to its {@code setOut}/{@code setErr}. */
  static CommandLine commandLine(RunnelCli cli) {
    CommandLine commandLine = new CommandLine(cli);
    commandLine.setExecutionExceptionHandler(RunnelCli::failed);
    commandLine.setOut(new PrintWriter(System.out, true, StandardCharsets.UTF_8));
    commandLine.setErr(new PrintWriter(System.err, true, StandardCharsets.UTF_8));
    return commandLine;
  }

  private static int failed(Exception failure, CommandLine command, CommandLine.ParseResult parsed) {
    PrintWriter err = command.getErr();
    command.getOut().flush();
    if (failure instanceof BrokerError refused) {
      err.println("Error: " + refused.error() + " (" + refused.code() + "): " + refused.getMessage());
      err.flush();
      return EXIT_BROKER_ERROR;
    }
    if (failure instanceof BrokerUnreachable unreachable) {
      err.println("Error: " + unreachable.getMessage());
      err.flush();
      return EXIT_UNREACHABLE;
    }
    err.println("Error: an unexpected failure, please report it:");
    failure.printStackTrace(err);
    err.flush();
    return EXIT_FAILURE;
  }

  @Override
  public void run() {
    throw new ParameterException(spec.commandLine(), "Missing a command: topics, produce, consume, groups or cluster");
  }

  BrokerClient client() {
    return new BrokerClient(http);
  }

  InputStream stdin() {
    return stdin;
  }

  boolean stderrTerminal() {
    return stderrTerminal;
  }

  /** {@code --http}: an absolute http or https URL. */
  static final class HttpUrl implements CommandLine.ITypeConverter<URI> {
    @Override
    public URI convert(String value) {
      try {
        URI uri = new URI(value);
        if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme()) || uri.getHost() == null) {
          throw new CommandLine.TypeConversionException("'" + value + "' is not an http:// or https:// URL");
        }
        return uri;
      } catch (URISyntaxException e) {
        throw new CommandLine.TypeConversionException("'" + value + "' is not a URL: " + e.getReason());
      }
    }
  }

  /** The version in the jar's manifest (Maven's implementation entries). */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String version = RunnelCli.class.getPackage().getImplementationVersion();
      return new String[] {"runnel-cli " + (version == null ? "(development build)" : version)};
    }
  }
}
