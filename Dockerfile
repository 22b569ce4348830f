# One Switchboard silo (Orleans + ASP.NET Core). docker-compose.yml runs three of them; configuration comes from the
# environment only (see README, "Run a cluster").
# The pages' SignalR browser client, installed by npm from package-lock.json in a Node.js stage of its own: the .NET
# stage below has no npm (the SDK image has none), it copies what this stage installed.
FROM node:22-bookworm-slim AS browser
WORKDIR /src/src/Switchboard.Silo
COPY src/Switchboard.Silo/package.json src/Switchboard.Silo/package-lock.json ./
RUN npm ci --no-audit --no-fund

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
# Project files first: the restore layer is reused until a package reference changes.
COPY global.json Directory.Build.props Directory.Packages.props .editorconfig ./
COPY src/Switchboard.Abstractions/Switchboard.Abstractions.csproj src/Switchboard.Abstractions/
COPY src/Switchboard.Grains/Switchboard.Grains.csproj src/Switchboard.Grains/
COPY src/Switchboard.Silo/Switchboard.Silo.csproj src/Switchboard.Silo/
RUN dotnet restore src/Switchboard.Silo/Switchboard.Silo.csproj
COPY src/ src/
COPY --from=browser /src/src/Switchboard.Silo/node_modules src/Switchboard.Silo/node_modules
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
