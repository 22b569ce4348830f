# One Switchboard silo (Orleans + ASP.NET Core). docker-compose.yml runs three of them; configuration comes from the
# environment only (see README, "Run a cluster").
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
# npm installs the pages' SignalR browser client (package-lock.json pins it); the SDK image has no Node.js.
RUN apt-get update \
    && apt-get install -y --no-install-recommends nodejs npm \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# Project files first: the restore layer is reused until a package reference changes.
COPY global.json Directory.Build.props Directory.Packages.props .editorconfig ./
COPY src/Switchboard.Abstractions/Switchboard.Abstractions.csproj src/Switchboard.Abstractions/
COPY src/Switchboard.Grains/Switchboard.Grains.csproj src/Switchboard.Grains/
COPY src/Switchboard.Silo/Switchboard.Silo.csproj src/Switchboard.Silo/
RUN dotnet restore src/Switchboard.Silo/Switchboard.Silo.csproj
# The browser packages next, in their own layer (reused until the lock file changes).
COPY src/Switchboard.Silo/package.json src/Switchboard.Silo/package-lock.json src/Switchboard.Silo/
RUN cd src/Switchboard.Silo && npm ci --no-audit --no-fund
COPY src/ src/
# RequireBrowserPackages: the publish fails rather than ship a console that cannot connect.
RUN dotnet publish src/Switchboard.Silo/Switchboard.Silo.csproj -c Release --no-restore -o /app -p:RequireBrowserPackages=true

FROM mcr.microsoft.com/dotnet/aspnet:10.0
WORKDIR /app
COPY --from=build /app ./
# appsettings.json listens on loopback for local runs; in a container the silo must be reachable from the network.
ENV Urls=http://0.0.0.0:8080
# HTTP (hubs, API, agent console), Orleans silo-to-silo, Orleans gateway.
EXPOSE 8080 11111 30000
# On embedded defaults (no clustering provider named) grain state goes to data/switchboard.db under /app: the silo's
# user must be able to write there. Mount a volume on /app/data to keep it beyond the container.
RUN mkdir -p /app/data && chown $APP_UID /app/data
USER $APP_UID
ENTRYPOINT ["dotnet", "Switchboard.Silo.dll"]
