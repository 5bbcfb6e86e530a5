import { Route, Routes } from "react-router-dom";

import { Layout } from "../components/Layout";
import { RequireAuth } from "../components/RequireAuth";
import { ChatPage } from "../features/chat/ChatPage";
import { BookingsPage } from "../pages/BookingsPage";
import { LandlordPage } from "../pages/LandlordPage";
import { LoginPage } from "../pages/LoginPage";
import { NotFoundPage } from "../pages/NotFoundPage";
import { ProfilePage } from "../pages/ProfilePage";
import { PropertyPage } from "../pages/PropertyPage";
import { RegisterPage } from "../pages/RegisterPage";
import { RentPage } from "../pages/RentPage";
import { ResetPasswordPage } from "../pages/ResetPasswordPage";
import { SearchPage } from "../pages/SearchPage";

export function App() {
  return (
    <Routes>
      <Route element={<Layout />}>
        <Route index element={<SearchPage />} />
        <Route path="properties/:id" element={<PropertyPage />} />
        <Route path="login" element={<LoginPage />} />
        <Route path="register" element={<RegisterPage />} />
        <Route path="reset-password" element={<ResetPasswordPage />} />
        <Route path="profile" element={<RequireAuth><ProfilePage /></RequireAuth>} />
        <Route path="bookings" element={<RequireAuth><BookingsPage /></RequireAuth>} />
        <Route path="rent" element={<RequireAuth><RentPage /></RequireAuth>} />
        <Route path="chat" element={<RequireAuth><ChatPage /></RequireAuth>} />
        <Route path="chat/:conversationId" element={<RequireAuth><ChatPage /></RequireAuth>} />
        <Route path="landlord" element={<RequireAuth role="landlord"><LandlordPage /></RequireAuth>} />
        <Route path="*" element={<NotFoundPage />} />
      </Route>
    </Routes>
  );
}
